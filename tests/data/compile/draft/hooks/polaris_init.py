import os
import urllib.request

uri = os.environ["POLARIS_URI"]
print("initialising", uri)
urllib.request.urlopen(uri + "/api/management/v1/catalogs")
