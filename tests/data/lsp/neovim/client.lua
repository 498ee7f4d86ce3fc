-- Neovim's built-in LSP client against `floe lsp`: opens FLOE_FILE, waits for the
-- diagnostics the server publishes, asks for the definition of the `postgres` kind
-- and follows it into the standard library, then writes what it saw as JSON to
-- FLOE_OUT and quits. Run with `nvim --headless -u NONE -c 'luafile client.lua'`.
local floe = os.getenv('FLOE')
local file = os.getenv('FLOE_FILE')
local out = os.getenv('FLOE_OUT')

local function write(value)
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(value))
  f:close()
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = 'floe',
    cmd = { floe, 'lsp' },
    root_dir = vim.fn.fnamemodify(file, ':p:h'),
  })
  assert(id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, id)
  local arrived = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  assert(arrived, 'no diagnostics within 20 s')
  local result = { diagnostics = {} }
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity,
      code = d.code, source = d.source, message = d.message,
    })
  end
  table.sort(result.diagnostics, function(a, b) return a.lnum < b.lnum end)
  -- `postgres` in `postgres db` is on line 5 (zero-based 4).
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = 4, character = 2 },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, 10000) or {}
  local location
  for _, response in pairs(responses) do
    location = response.result
  end
  assert(location, 'no definition')
  vim.lsp.util.jump_to_location(location, 'utf-16')
  result.definition = {
    file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':t'),
    line = vim.api.nvim_get_current_line(),
  }
  write(result)
end

local ok, err = pcall(run)
if not ok then
  write({ error = tostring(err) })
end
vim.lsp.stop_client(vim.lsp.get_active_clients())
vim.cmd('qall!')
