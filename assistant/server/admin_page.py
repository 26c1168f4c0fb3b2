"""The /admin page: server-rendered HTML and a small script; every value is inserted as text, never as HTML."""

from __future__ import annotations

from .context import ENABLE_HINT

LEVELS = [
    ("", "（自动推断）"),
    ("national", "国家"),
    ("province", "省级"),
    ("city", "市级"),
    ("county", "区县级"),
    ("school", "学校"),
    ("kindergarten", "幼儿园"),
    ("unknown", "未注明"),
]

STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; background: #f8fafc;
  color: #0f172a; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; border-bottom: 1px solid #e2e8f0; }
section.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 0.8rem 1rem; margin: 0.8rem 0; }
label { display: inline-block; margin: 0.25rem 0.8rem 0.25rem 0; }
input, select, button { font: inherit; padding: 0.25rem 0.45rem; }
button { cursor: pointer; border: 1px solid #94a3b8; border-radius: 6px; background: #fff; }
button.primary { background: #2563eb; color: #fff; border-color: #2563eb; }
button.danger { color: #b91c1c; border-color: #fca5a5; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 0.35rem 0.4rem; text-align: left; vertical-align: top; }
.msg { margin: 0.4rem 0; min-height: 1.2em; } .msg.err { color: #b91c1c; } .msg.ok { color: #047857; }
.notice { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 0.8rem 1rem; }
.fb { border: 1px solid #e2e8f0; border-radius: 8px; padding: 0.5rem 0.7rem; margin: 0.5rem 0; background: #fff; }
.fb .q { font-weight: 600; } .fb .a { white-space: pre-wrap; margin: 0.3rem 0; } .fb .src { color: #475569; font-size: 0.9em; }
progress { width: 220px; vertical-align: middle; }
"""


def render_admin_page(enabled: bool) -> str:
    """The whole page; without a configured token it only explains how to turn the admin functions on."""
    if not enabled:
        body = (
            '<div class="notice" id="disabled"><b>管理功能未开启。</b><br>'
            + ENABLE_HINT
            + "<br><br>例如：<code>ASSISTANT_APP_ADMIN_TOKEN=一串长口令 python app.py</code></div>"
        )
        return _page(body, script="")
    options = "".join(f'<option value="{v}">{n}</option>' for v, n in LEVELS)
    return _page(PANEL.replace("{LEVEL_OPTIONS}", options), SCRIPT)


def _page(body: str, script: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>管理 · “双减”政策问答助手</title><style>{STYLE}</style></head>"
        f'<body><main><h1>🛠 管理 · “双减”政策问答助手</h1><p><a href="/">← 返回问答页</a></p>{body}</main>'
        f"<script>{script}</script></body></html>"
    )


PANEL = """
<section class="card" id="login">
  <form id="login-form">
    <label>管理令牌 <input type="password" id="token" autocomplete="current-password" size="32"></label>
    <button class="primary" id="login-btn" type="submit">进入管理</button>
  </form>
  <div class="msg" id="login-msg"></div>
</section>
<div id="panel" hidden>
  <p><button id="logout" type="button">退出管理</button></p>
  <section class="card"><b>索引状态：</b><span id="job">加载中…</span> <progress id="job-bar" hidden></progress></section>
  <h2>上传文档</h2>
  <section class="card">
    <form id="upload-form">
      <label>文件（txt / html / docx / pdf，任意编码） <input type="file" id="file" accept=".txt,.html,.htm,.docx,.pdf"></label><br>
      <label>标题 <input id="up-title" size="30" placeholder="不填则取第一行"></label>
      <label>发文单位 <input id="up-issuer" size="16"></label>
      <label>层级 <select id="up-level">{LEVEL_OPTIONS}</select></label>
      <label>地区 <input id="up-region" size="8"></label>
      <label>年份 <input id="up-year" type="number" min="1949" max="2100" style="width:6em"></label>
      <button class="primary" id="upload-btn" type="submit">上传并收录</button>
    </form>
    <div class="msg" id="upload-msg"></div>
  </section>
  <h2>已收录文档</h2>
  <div class="msg" id="docs-msg"></div>
  <table id="docs"><thead><tr><th>标题</th><th>发文单位</th><th>层级</th><th>地区</th><th>年份</th><th>分块</th>
    <th>编号</th><th>操作</th></tr></thead><tbody></tbody></table>
  <section class="card" id="edit-box" hidden>
    <b>编辑元数据：<span id="edit-id"></span></b><br>
    <label>标题 <input id="ed-title" size="36"></label>
    <label>发文单位 <input id="ed-issuer" size="16"></label>
    <label>层级 <select id="ed-level">{LEVEL_OPTIONS}</select></label>
    <label>地区 <input id="ed-region" size="8"></label>
    <label>年份 <input id="ed-year" type="number" min="1949" max="2100" style="width:6em"></label>
    <button class="primary" id="edit-save" type="button">保存</button> <button id="edit-cancel" type="button">取消</button>
  </section>
  <h2>家长反馈（👎 的回答）</h2>
  <section class="card">
    <label>从 <input type="date" id="fb-since"></label><label>到 <input type="date" id="fb-until"></label>
    <button id="fb-load" type="button">查看</button>
    <button id="fb-export" type="button">导出为评测题（JSONL）</button>
    <div class="msg" id="fb-msg"></div>
    <div id="fb-list"></div>
  </section>
</div>
"""

SCRIPT = r"""
const $ = (id) => document.getElementById(id);
const LEVELS = {national: '国家', province: '省级', city: '市级', county: '区县级', school: '学校',
                kindergarten: '幼儿园', unknown: '未注明'};
let token = sessionStorage.getItem('adminToken') || '';
let wasRunning = false;

function say(id, text, ok) { const el = $(id); el.textContent = text || ''; el.className = 'msg ' + (ok ? 'ok' : 'err'); }
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, {Authorization: 'Bearer ' + token});
  const response = await fetch(path, Object.assign({}, options, {headers}));
  if (response.status === 401 || response.status === 403) { signOut(); }
  if (!response.ok) {
    let message = '请求失败（' + response.status + '）';
    try { message = (await response.json()).error.message || message; } catch (e) {}
    const error = new Error(message); error.status = response.status; throw error;
  }
  return response;
}

function signOut(message) {
  sessionStorage.removeItem('adminToken');
  $('panel').hidden = true; $('login').hidden = false;
  if (message) say('login-msg', message, true);
}

async function signIn(candidate) {
  token = candidate;
  try {
    await api('/api/admin/check');
    sessionStorage.setItem('adminToken', token);
    $('login').hidden = true; $('panel').hidden = false; say('login-msg', '');
    await Promise.all([loadDocs(), loadFeedback(), poll()]);
  } catch (e) {
    token = ''; signOut(); say('login-msg', '无法进入管理：' + e.message, false);
  }
}

async function poll() {
  try {
    const health = await (await fetch('/healthz')).json();
    const job = health.job;
    const bar = $('job-bar');
    let text = '';
    if (job.running) {
      const pct = job.total ? Math.floor(100 * job.done / job.total) : 0;
      text = '正在更新索引：' + pct + '%（' + (job.current || '准备中') + '）；期间照常用原有资料回答。';
      bar.hidden = false; if (job.total) { bar.max = job.total; bar.value = job.done; } else { bar.removeAttribute('value'); }
    } else {
      bar.hidden = true;
      text = (health.ready ? '就绪' : '尚未就绪') + '：文档 ' + health.documents + ' 份，分块 ' + health.chunks +
             ' 个，索引版本 ' + (health.generation || '—') + (job.message ? '；上次更新：' + job.message : '') +
             (job.error ? '；上次更新失败：' + job.error : '');
    }
    $('job').textContent = text;
    $('job').dataset.running = job.running ? '1' : '0';
    $('job').dataset.generation = health.generation || '';
    if (wasRunning && !job.running) { await loadDocs(); }
    wasRunning = job.running;
  } catch (e) { $('job').textContent = '无法读取状态：' + e.message; }
}

async function loadDocs() {
  try {
    const data = await (await api('/api/sources')).json();
    const body = $('docs').querySelector('tbody');
    body.replaceChildren();
    for (const d of data.documents) {
      const row = el('tr'); row.dataset.id = d.id;
      for (const v of [d.title, d.issuer, LEVELS[d.level] || d.level, d.region, d.year || '', d.chunks, d.id]) row.append(el('td', v));
      const actions = el('td');
      const edit = el('button', '编辑', 'edit'); edit.type = 'button'; edit.onclick = () => openEdit(d);
      const remove = el('button', '删除', 'remove danger'); remove.type = 'button'; remove.onclick = () => removeDoc(d);
      actions.append(edit, ' ', remove); row.append(actions); body.append(row);
    }
    say('docs-msg', '共 ' + data.documents.length + ' 份', true);
  } catch (e) { say('docs-msg', e.message, false); }
}

function openEdit(d) {
  $('edit-box').hidden = false; $('edit-id').textContent = d.id; $('edit-box').dataset.id = d.id;
  $('ed-title').value = d.title || ''; $('ed-issuer').value = d.issuer || ''; $('ed-level').value = d.level || '';
  $('ed-region').value = d.region || ''; $('ed-year').value = d.year || '';
}

function fields(prefix) {
  const out = {};
  for (const k of ['title', 'issuer', 'level', 'region', 'year']) {
    const v = $(prefix + k).value.trim();
    if (v !== '') out[k] = k === 'year' ? Number(v) : v;
  }
  return out;
}

async function saveEdit() {
  const id = $('edit-box').dataset.id;
  try {
    const r = await (await api('/api/documents/' + encodeURIComponent(id), {method: 'PATCH',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(fields('ed-'))})).json();
    say('docs-msg', r.message, true); $('edit-box').hidden = true; poll();
  } catch (e) { say('docs-msg', e.message, false); }
}

async function removeDoc(d) {
  if (!confirm('确定删除《' + d.title + '》吗？文件会从资料库中移除。')) return;
  try {
    const r = await (await api('/api/documents/' + encodeURIComponent(d.id), {method: 'DELETE'})).json();
    say('docs-msg', r.message, true); poll();
  } catch (e) { say('docs-msg', e.message, false); }
}

async function upload(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) { say('upload-msg', '请先选择一个文件。', false); return; }
  const form = new FormData(); form.append('file', file);
  for (const [k, v] of Object.entries(fields('up-'))) form.append(k, v);
  say('upload-msg', '正在上传…', true);
  try {
    const r = await (await api('/api/documents', {method: 'POST', body: form})).json();
    say('upload-msg', r.message, true); $('upload-form').reset(); poll();
  } catch (e) { say('upload-msg', e.message, false); }
}

function feedbackQuery() {
  const q = new URLSearchParams({vote: 'down'});
  if ($('fb-since').value) q.set('since', $('fb-since').value);
  if ($('fb-until').value) q.set('until', $('fb-until').value);
  return q;
}

async function loadFeedback() {
  try {
    const rows = await (await api('/api/feedback?' + feedbackQuery())).json();
    const list = $('fb-list'); list.replaceChildren();
    for (const r of rows) {
      const box = el('div', undefined, 'fb'); box.dataset.id = r.id;
      box.append(el('div', '👎 ' + r.created_at.replace('T', ' ').slice(0, 16), 'src'));
      if (r.history.length) box.append(el('div', '之前问过：' + r.history.join(' / '), 'src'));
      box.append(el('div', '问：' + r.question, 'q'), el('div', '答：' + r.answer, 'a'));
      for (const c of r.citations) {
        box.append(el('div', '[' + (c.number || c.n || '') + '] 《' + (c.title || '') + '》 ' + (c.section || '') + '：「' + (c.quote || '') + '」', 'src'));
      }
      list.append(box);
    }
    say('fb-msg', rows.length ? '共 ' + rows.length + ' 条' : '这段时间没有 👎 反馈。', true);
  } catch (e) { say('fb-msg', e.message, false); }
}

async function exportFeedback() {
  const q = feedbackQuery(); q.set('format', 'jsonl');
  try {
    const blob = await (await api('/api/feedback?' + q)).blob();
    const link = el('a'); link.href = URL.createObjectURL(blob); link.download = 'feedback-eval.jsonl';
    document.body.append(link); link.click(); link.remove();
  } catch (e) { say('fb-msg', e.message, false); }
}

$('login-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('token').value); });
$('logout').onclick = () => { token = ''; signOut('已退出。'); };
$('upload-form').addEventListener('submit', upload);
$('edit-save').onclick = saveEdit;
$('edit-cancel').onclick = () => { $('edit-box').hidden = true; };
$('fb-load').onclick = loadFeedback;
$('fb-export').onclick = exportFeedback;
setInterval(() => { if (!$('panel').hidden) poll(); }, 1500);
if (token) signIn(token);
"""
