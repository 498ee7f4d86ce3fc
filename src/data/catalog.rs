//! Connecting to a stack's catalogs: the Iceberg REST catalog (Polaris) with OAuth2
//! client credentials and S3 storage, or an embedded SQL catalog on SQLite with a
//! local warehouse directory (`floe run --local`).
//!
//! iceberg-rust never refreshes an OAuth2 token. floe requests tokens itself (it
//! knows `expires_in` that way) and builds a new REST client with a fresh token once
//! four fifths of the old one's lifetime have passed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use iceberg::{Catalog, CatalogBuilder};
use iceberg_catalog_rest::RestCatalogBuilder;
use iceberg_catalog_sql::{SqlBindStyle, SqlCatalogBuilder};
use iceberg_storage_opendal::OpenDalResolvingStorageFactory;
use tokio::sync::Mutex;

use super::synced::SyncedFsFactory;
use super::{DataError, Env, Result, credential};
use crate::model;

/// A connection to one catalog that stays usable for as long as a run takes.
pub struct Session {
    name: String,
    kind: Kind,
}

enum Kind {
    Fixed(Arc<dyn Catalog>),
    Rest(Box<Rest>),
}

struct Rest {
    props: HashMap<String, String>,
    token: Option<TokenRequest>,
    current: Mutex<Option<Client>>,
}

/// A REST client and when its token is to be replaced.
struct Client {
    catalog: Arc<dyn Catalog>,
    refresh_at: Option<Instant>,
}

/// An OAuth2 client-credentials grant.
struct TokenRequest {
    endpoint: String,
    client_id: String,
    client_secret: String,
    scope: String,
}

impl Session {
    /// The catalog item's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The catalog client, with a token that is not about to expire.
    pub async fn catalog(&self) -> Result<Arc<dyn Catalog>> {
        match &self.kind {
            Kind::Fixed(catalog) => Ok(catalog.clone()),
            Kind::Rest(rest) => rest.client(&self.name).await,
        }
    }

    /// A session over a catalog built elsewhere (tests wrap catalogs this way).
    pub fn fixed(name: &str, catalog: Arc<dyn Catalog>) -> Session {
        Session {
            name: name.to_string(),
            kind: Kind::Fixed(catalog),
        }
    }
}

/// Connects to a catalog as the plan describes it; credentials that are secrets
/// come from `env`.
pub fn connect(catalog: &model::Catalog, env: &dyn Env) -> Result<Session> {
    let Some(uri) = &catalog.uri else {
        return Err(DataError::new(format!(
            "catalog `{}` has no `uri`: it can only be used with `floe run --local`",
            catalog.name
        )));
    };
    let uri = uri.trim_end_matches('/').to_string();
    let mut props = HashMap::from([
        ("uri".to_string(), uri.clone()),
        ("warehouse".to_string(), catalog.warehouse.clone()),
    ]);
    if let Some(s3) = &catalog.s3 {
        props.extend(s3_props(s3, env)?);
    }
    let token = match &catalog.oauth {
        Some(oauth) => Some(TokenRequest {
            endpoint: oauth
                .server_uri
                .clone()
                .unwrap_or_else(|| format!("{uri}/v1/oauth/tokens")),
            client_id: credential(&oauth.client_id, env)?,
            client_secret: credential(&oauth.client_secret, env)?,
            scope: oauth.scope.clone(),
        }),
        None => None,
    };
    Ok(Session {
        name: catalog.name.clone(),
        kind: Kind::Rest(Box::new(Rest {
            props,
            token,
            current: Mutex::new(None),
        })),
    })
}

/// The FileIO properties of a catalog's S3 storage.
fn s3_props(s3: &model::S3, env: &dyn Env) -> Result<HashMap<String, String>> {
    let mut props = HashMap::from([
        ("s3.region".to_string(), s3.region.clone()),
        (
            "s3.path-style-access".to_string(),
            s3.path_style.to_string(),
        ),
    ]);
    if let Some(endpoint) = &s3.endpoint {
        props.insert("s3.endpoint".into(), endpoint.clone());
    }
    match (&s3.access_key, &s3.secret_key) {
        (Some(access), Some(secret)) => {
            props.insert("s3.access-key-id".into(), credential(access, env)?);
            props.insert("s3.secret-access-key".into(), credential(secret, env)?);
            // Static credentials only: no instance metadata, no ~/.aws files.
            props.insert("s3.disable-ec2-metadata".into(), "true".into());
            props.insert("s3.disable-config-load".into(), "true".into());
        }
        _ => {
            // No credentials of its own: ask the catalog to vend them.
            props.insert(
                "header.X-Iceberg-Access-Delegation".into(),
                "vended-credentials".into(),
            );
        }
    }
    Ok(props)
}

impl Rest {
    async fn client(&self, name: &str) -> Result<Arc<dyn Catalog>> {
        let mut current = self.current.lock().await;
        if let Some(client) = current.as_ref()
            && client.refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(client.catalog.clone());
        }
        let mut props = self.props.clone();
        let mut refresh_at = None;
        if let Some(request) = &self.token {
            let token = request_token(request, name).await?;
            props.insert("token".into(), token.access_token);
            refresh_at = token
                .expires_in
                .map(|secs| Instant::now() + Duration::from_secs(secs) * 4 / 5);
        }
        let catalog: Arc<dyn Catalog> = Arc::new(
            RestCatalogBuilder::default()
                .with_storage_factory(Arc::new(OpenDalResolvingStorageFactory::new()))
                .load(name, props)
                .await
                .map_err(|e| DataError::from(e).context(format!("catalog `{name}`")))?,
        );
        *current = Some(Client {
            catalog: catalog.clone(),
            refresh_at,
        });
        Ok(catalog)
    }
}

struct Token {
    access_token: String,
    expires_in: Option<u64>,
}

/// The client-credentials grant: `POST` a form to the token endpoint.
async fn request_token(request: &TokenRequest, catalog: &str) -> Result<Token> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", request.client_id.as_str()),
        ("client_secret", request.client_secret.as_str()),
        ("scope", request.scope.as_str()),
    ];
    let failed = |why: String| {
        DataError::new(format!(
            "catalog `{catalog}`: no token from {}: {why}",
            request.endpoint
        ))
    };
    let response = reqwest::Client::new()
        .post(&request.endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|_| failed(format!("HTTP {status} without a JSON body")))?;
    if !status.is_success() {
        let field = |k: &str| {
            body.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        return Err(failed(format!(
            "HTTP {status} {} {}",
            field("error"),
            field("error_description")
        )));
    }
    let access_token = body
        .get("access_token")
        .and_then(|v| v.as_str())
        .ok_or_else(|| failed("the answer has no `access_token`".into()))?
        .to_string();
    let expires_in = body.get("expires_in").and_then(serde_json::Value::as_u64);
    Ok(Token {
        access_token,
        expires_in,
    })
}

/// The embedded catalog of `floe run --local`: SQLite in `warehouse/catalog.db`,
/// every catalog's files under `warehouse/NAME/`.
pub async fn open_local(warehouse: &Path, name: &str) -> Result<Session> {
    let failed = |e: std::io::Error| {
        DataError::from(e).context(format!("cannot use {} as warehouse", warehouse.display()))
    };
    refuse_uri_characters(warehouse)?;
    std::fs::create_dir_all(warehouse).map_err(failed)?;
    let root = warehouse.canonicalize().map_err(failed)?;
    refuse_uri_characters(&root)?;
    let files = root.join(name);
    std::fs::create_dir_all(&files).map_err(failed)?;
    let location = format!("file://{}", files.display());
    open_embedded(name, &root.join("catalog.db"), &location, None, &NoEnv).await
}

/// Table locations are URIs (`file:///…`), and readers differ on `#`, `?` and `%`
/// in them: Python's `urlparse` (pyiceberg) cuts a `#` fragment and a `?` query,
/// the SQLite URL of the catalog is parsed the same way, and whether `%` escapes
/// are decoded depends on the reader. A warehouse path with one of them would make
/// tables that some tools cannot open, so it is refused before anything is made.
fn refuse_uri_characters(warehouse: &Path) -> Result<()> {
    let text = warehouse.to_string_lossy();
    match text.chars().find(|c| matches!(c, '#' | '?' | '%')) {
        Some(c) => Err(DataError::new(format!(
            "cannot use {} as warehouse: its path has `{c}`, which Iceberg locations (URIs) cannot hold in a way every reader understands",
            warehouse.display()
        ))
        .with_help("choose a warehouse path without `#`, `?` and `%` (`--warehouse DIR`)")),
        None => Ok(()),
    }
}

struct NoEnv;

impl Env for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

/// An embedded SQL catalog on the SQLite database `db`, its table files under
/// `location`: a `file://` directory, or an `s3://` location on the storage `s3`
/// describes.
pub async fn open_embedded(
    name: &str,
    db: &Path,
    location: &str,
    s3: Option<&model::S3>,
    env: &dyn Env,
) -> Result<Session> {
    let uri = format!("sqlite://{}?mode=rwc", db.display());
    let builder = SqlCatalogBuilder::default()
        .uri(uri)
        .warehouse_location(location)
        .sql_bind_style(SqlBindStyle::QMark);
    let (builder, props) = match s3 {
        Some(s3) => (
            builder.with_storage_factory(Arc::new(OpenDalResolvingStorageFactory::new())),
            s3_props(s3, env)?,
        ),
        None => (
            builder.with_storage_factory(Arc::new(SyncedFsFactory)),
            HashMap::new(),
        ),
    };
    let catalog = builder
        .load(name, props)
        .await
        .map_err(|e| DataError::from(e).context(format!("embedded catalog `{name}`")))?;
    Ok(Session::fixed(name, Arc::new(catalog)))
}
