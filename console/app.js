// Herald's web console: plain ES module, no build step. Everything an event
// holds is untrusted and rendered as text (textContent), never as markup.
// The credential lives in sessionStorage (this tab only) and travels in the
// Authorization header; only the WebSocket stream, which cannot carry
// headers from a browser, gets it as ?access_token=.

const store = window.sessionStorage;
const keep = 500; // events kept in the live tail

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

// Every change asks first; `action` runs only on yes, and what it throws
// goes to `onError`.
async function confirmThen(question, onError, action) {
  if (!window.confirm(question)) return;
  try {
    await action();
  } catch (err) {
    onError(err.message);
  }
}
const showError = (id) => (message) => { $(id).textContent = message; };
const counted = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// -- credential ---------------------------------------------------------

let renewTimer = null;

function credential() {
  return store.getItem("herald.token");
}

function setCredential(token, exp, kind) {
  store.setItem("herald.token", token);
  store.setItem("herald.kind", kind);
  if (exp) store.setItem("herald.exp", String(exp));
  else store.removeItem("herald.exp");
  scheduleRenew();
}

function clearCredential() {
  for (const k of ["herald.token", "herald.kind", "herald.exp"]) store.removeItem(k);
  if (renewTimer) clearTimeout(renewTimer);
  renewTimer = null;
}

// A login token is renewed a minute before it expires (or at half its life
// when that is shorter); a pasted token is used as it is.
function scheduleRenew() {
  if (renewTimer) clearTimeout(renewTimer);
  const exp = Number(store.getItem("herald.exp") || 0);
  if (!exp || store.getItem("herald.kind") !== "login") return;
  const left = exp * 1000 - Date.now();
  const wait = Math.max(1000, Math.min(left - 60000, left / 2));
  renewTimer = setTimeout(renew, wait);
}

async function renew() {
  try {
    const r = await fetch("/api/v1/auth/renew", {
      method: "POST",
      headers: { Authorization: "Bearer " + credential() },
    });
    if (!r.ok) throw new Error(await errorText(r));
    const body = await r.json();
    setCredential(body.token, body.exp, "login");
  } catch (e) {
    signOut("Your session ended: " + e.message);
  }
}

function whoFromToken(token) {
  // A JWT's payload names the user; a service token names nothing here.
  const parts = token.split(".");
  if (parts.length === 3) {
    try {
      const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
      const claims = JSON.parse(json);
      if (typeof claims.sub === "string") return claims.sub;
    } catch (_) { /* not a JWT we can read */ }
  }
  return "token";
}

// Who the credential is (GET /api/v1/auth/me): actions are offered only
// when its roles allow them (the node checks again on every request).
let me = null;

function may(role) {
  return !!me && (me.roles.includes("admin") || me.roles.includes(role));
}

async function loadMe() {
  me = null;
  try {
    me = await api("/api/v1/auth/me");
  } catch (_) { /* signed out, or an older node: no actions offered */ }
  route();
}

// -- API ----------------------------------------------------------------

async function errorText(r) {
  try {
    const body = await r.json();
    if (body && body.error) {
      const e = body.error;
      return `${r.status} ${e.code}: ${e.message}` + (e.field ? ` (${e.field})` : "");
    }
  } catch (_) { /* not DESIGN §7's error body */ }
  return `${r.status} ${r.statusText}`;
}

async function api(path, init = {}) {
  const headers = { Authorization: "Bearer " + credential() };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { ...init, headers });
  if (r.status === 401) {
    signOut("Your credential is no longer accepted; sign in again.");
    throw new Error("signed out");
  }
  if (!r.ok) throw new Error(await errorText(r));
  return r.status === 204 ? null : r.json();
}

// -- rendering ----------------------------------------------------------

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// One event: a summary line and, expanded, the whole event as formatted
// JSON. Text only. With `cloudevents`, an event in the native form also
// offers its CloudEvents form (GET /api/v1/events/{id}?format=cloudevents).
function eventItem(ev, { cloudevents = false } = {}) {
  const li = el("li");
  const details = el("details");
  const summary = el("summary");
  const seq = ev.seq !== undefined ? ev.seq : ev.herald_seq;
  const name = ev.name !== undefined ? ev.name : ev.type;
  summary.append(
    el("span", "seq", seq !== undefined ? `#${seq} ` : ""),
    el("span", "time", (ev.time || "") + " "),
    el("span", "name", String(name ?? "")),
    el("span", "scope", ev.scope ? `  ${ev.scope}` : ""),
  );
  details.append(summary, el("pre", null, JSON.stringify(ev, null, 2)));
  if (cloudevents && typeof ev.id === "string" && ev.name !== undefined) {
    const b = el("button", "as-cloudevent", "CloudEvents view");
    b.type = "button";
    const out = el("pre", "cloudevent");
    out.hidden = true;
    b.addEventListener("click", async () => {
      if (!out.hidden) {
        out.hidden = true;
        b.textContent = "CloudEvents view";
        return;
      }
      try {
        const ce = await api(`/api/v1/events/${enc(ev.id)}?format=cloudevents`);
        out.textContent = JSON.stringify(ce, null, 2);
      } catch (err) {
        out.textContent = err.message;
      }
      out.hidden = false;
      b.textContent = "Hide CloudEvents view";
    });
    details.append(b, out);
  }
  li.append(details);
  return li;
}

// -- views --------------------------------------------------------------

const views = ["signin", "tail", "search", "workflows", "tasks", "triggers",
               "topics", "subscriptions", "sources", "listeners", "config", "nodes"];
// What a view loads when it is shown.
const onShow = {};

function show(view) {
  if (!credential()) view = "signin";
  else if (!views.includes(view) || view === "signin") view = "tail";
  for (const v of views) $(v).hidden = v !== view;
  $("nav").hidden = !credential();
  $("signout").hidden = !credential();
  $("who").textContent = credential()
    ? "signed in as " + (me ? `${me.name || "token"} (${me.roles.join(", ")})` : whoFromToken(credential()))
    : "";
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.view === view);
    if (a.classList.contains("admin-only")) a.hidden = !may("admin");
  }
  if (credential() && onShow[view]) onShow[view]();
}

function route() {
  show(location.hash.slice(1));
}

function signOut(message) {
  tail.stop();
  clearCredential();
  me = null;
  // Nothing of one user's session is left for the next.
  if (tasks.timer) clearTimeout(tasks.timer);
  tasks.timer = null;
  tasks.selected = null;
  $("task-detail").hidden = true;
  $("workflow-definition").hidden = true;
  $("run-panel").hidden = true;
  subs.selected = null;
  if (subs.timer) clearTimeout(subs.timer);
  subs.timer = null;
  $("subscription-detail").hidden = true;
  $("trigger-detail").hidden = true;
  for (const id of ["tail-events", "search-events", "workflows-rows", "tasks-rows",
                    "task-steps", "task-progress", "subscriptions-rows", "subscription-stats",
                    "dead-letters", "triggers-rows", "trigger-fires", "sources-rows",
                    "listeners-rows", "config-rows", "topics-rows", "nodes-rows", "scope-tree"])
    $(id).replaceChildren();
  for (const id of ["workflows-state", "subscriptions-state", "search-state", "nodes-state",
                    "listeners-state", "config-state", "topics-state", "scope-tree-state"])
    $(id).textContent = "";
  $("search-more").hidden = true;
  $("signin-error").textContent = message || "";
  location.hash = "#signin";
  route();
}

// -- sign-in --------------------------------------------------------------

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  $("signin-error").textContent = "";
  try {
    const r = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    if (!r.ok) throw new Error(await errorText(r));
    const body = await r.json();
    setCredential(body.token, body.exp, "login");
    e.target.reset();
    location.hash = "#tail";
    await loadMe();
  } catch (err) {
    $("signin-error").textContent = err.message;
  }
});

$("token-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = String(new FormData(e.target).get("token") || "").trim();
  $("signin-error").textContent = "";
  // A credential the node refuses gets 401; one without the reader role
  // gets 403 and may still do what its roles allow.
  const r = await fetch("/api/v1/events?limit=1", { headers: { Authorization: "Bearer " + token } });
  if (r.status === 401) {
    $("signin-error").textContent = "That token is not accepted by this node.";
    return;
  }
  setCredential(token, null, "token");
  e.target.reset();
  location.hash = "#tail";
  await loadMe();
});

$("signout").addEventListener("click", () => signOut(""));

// -- live tail ----------------------------------------------------------

const tail = {
  ws: null,
  paused: false,
  arrivals: [],
  held: [],

  start(params) {
    this.stop();
    const q = new URLSearchParams();
    for (const [k, v] of params) if (v) q.set(k, v);
    q.set("access_token", credential());
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/events/stream?${q}`);
    this.ws = ws;
    $("tail-error").textContent = "";
    $("tail-state").textContent = "connecting";
    $("tail-pause").disabled = false;
    ws.onopen = () => { $("tail-state").textContent = this.paused ? "paused" : "live"; };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = (c) => {
      if (this.ws !== ws) return;
      this.ws = null;
      $("tail-state").textContent = "stopped";
      $("tail-pause").disabled = true;
      if (c.code !== 1000 && c.code !== 1005)
        $("tail-error").textContent =
          `The stream ended (${c.code}${c.reason ? ": " + c.reason : ""}). ` +
          "Check the pattern and filter, or sign in again.";
    };
  },

  stop() {
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
    $("tail-state").textContent = "stopped";
    $("tail-pause").disabled = true;
  },

  receive(text) {
    const now = Date.now();
    this.arrivals.push(now);
    let ev;
    try { ev = JSON.parse(text); } catch (_) { return; }
    if (this.paused) {
      this.held.push(ev);
      if (this.held.length > keep) this.held.shift();
      $("tail-state").textContent = `paused (${this.held.length} new)`;
      return;
    }
    this.render(ev);
  },

  render(ev) {
    const list = $("tail-events");
    list.prepend(eventItem(ev));
    while (list.childElementCount > keep) list.lastElementChild.remove();
    $("tail-count").textContent = String(list.childElementCount);
  },

  togglePause() {
    this.paused = !this.paused;
    $("tail-pause").textContent = this.paused ? "Resume" : "Pause";
    if (this.ws) $("tail-state").textContent = this.paused ? "paused" : "live";
    if (!this.paused) {
      for (const ev of this.held) this.render(ev);
      this.held = [];
    }
  },
};

setInterval(() => {
  const cutoff = Date.now() - 1000;
  while (tail.arrivals.length && tail.arrivals[0] < cutoff) tail.arrivals.shift();
  $("tail-rate").textContent = String(tail.arrivals.length);
}, 500);

$("tail-form").addEventListener("submit", (e) => {
  e.preventDefault();
  tail.start(new FormData(e.target).entries());
});
$("tail-pause").addEventListener("click", () => tail.togglePause());
$("tail-clear").addEventListener("click", () => {
  $("tail-events").replaceChildren();
  $("tail-count").textContent = "0";
});

// -- audit search -------------------------------------------------------

const search = { params: null, next: null };

async function runSearch(after) {
  const q = new URLSearchParams();
  for (const [k, v] of search.params) if (v) q.set(k, v);
  if (after) q.set("after", after);
  $("search-error").textContent = "";
  $("search-state").textContent = "searching…";
  try {
    const page = await api("/api/v1/events?" + q);
    const list = $("search-events");
    if (!after) list.replaceChildren();
    const native = (search.params.find(([k]) => k === "format") || [])[1] !== "cloudevents";
    for (const ev of page.events) list.append(eventItem(ev, { cloudevents: native }));
    search.next = page.next || null;
    $("search-more").hidden = !search.next;
    $("search-state").textContent =
      list.childElementCount === 0
        ? "No events match. Widen the pattern or the time range."
        : `${list.childElementCount} shown` + (search.next ? "" : " (the end)") +
          (page.partial ? ` · partial: no answer from ${(page.missing || []).join(", ")}` : "");
  } catch (err) {
    $("search-state").textContent = "";
    $("search-error").textContent = err.message;
  }
}

$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  search.params = [...new FormData(e.target).entries()];
  runSearch(null);
});
$("search-more").addEventListener("click", () => runSearch(search.next));

// The scope tree (GET /api/v1/scopes): one level at a time, loaded when a
// scope is opened; choosing a scope searches it.
async function loadScopes(parent, into, after) {
  const q = new URLSearchParams({ limit: "100" });
  if (parent) q.set("parent", parent);
  if (after) q.set("after", after);
  const level = await api("/api/v1/scopes?" + q);
  for (const scope of level.scopes) into.append(scopeNode(scope));
  if (level.next) {
    const li = el("li");
    const more = el("button", "more", "more…");
    more.type = "button";
    more.addEventListener("click", () => {
      li.remove();
      loadScopes(parent, into, level.next).catch((e) => { $("scope-tree-state").textContent = e.message; });
    });
    li.append(more);
    into.append(li);
  }
  if (!parent && !after)
    $("scope-tree-state").textContent = level.scopes.length || level.next
      ? (level.partial ? `partial: no answer from ${(level.missing || []).join(", ")}` : "")
      : "No scoped events yet: events with a \"scope\" appear here.";
}

function scopeNode(scope) {
  const li = el("li");
  li.dataset.scope = scope;
  const toggle = el("button", "toggle", "+");
  toggle.type = "button";
  toggle.title = "show the scopes below " + scope;
  const children = el("ul");
  children.hidden = true;
  toggle.addEventListener("click", async () => {
    if (!children.hidden) {
      children.hidden = true;
      toggle.textContent = "+";
      return;
    }
    children.replaceChildren();
    try {
      await loadScopes(scope, children);
      if (!children.childElementCount) children.append(el("li", "status", "nothing narrower"));
    } catch (e) {
      children.append(el("li", "error", e.message));
    }
    children.hidden = false;
    toggle.textContent = "−";
  });
  const link = el("a", "scope-link", scope.slice(scope.lastIndexOf("/") + 1));
  link.href = "#search";
  link.title = scope;
  link.addEventListener("click", (e) => {
    e.preventDefault();
    for (const a of document.querySelectorAll("#scope-tree a.current")) a.classList.remove("current");
    link.classList.add("current");
    $("search-form").elements.scope.value = scope;
    $("search-form").requestSubmit();
  });
  li.append(toggle, " ", link, children);
  return li;
}

function reloadScopes() {
  $("scope-tree").replaceChildren();
  loadScopes("", $("scope-tree")).catch((e) => { $("scope-tree-state").textContent = e.message; });
}

// Loaded once per sign-in (opened levels stay open); Refresh reloads it.
onShow.search = () => {
  if (!$("scope-tree").childElementCount) reloadScopes();
};
$("scope-tree-refresh").addEventListener("click", reloadScopes);

// -- workflows ----------------------------------------------------------

function cell(text) {
  return el("td", null, text === undefined || text === null ? "" : String(text));
}

// A cell holding `text` as a link that calls `open` (the view's own hash,
// so the browser does not navigate).
function linkCell(text, view, open) {
  const link = el("a", null, text);
  link.href = "#" + view;
  link.addEventListener("click", (e) => { e.preventDefault(); open(); });
  const td = el("td");
  td.append(link);
  return td;
}

// Loads a table view: clears its error line, gets the items, puts one row
// per item (`row` may be async) in place of the old rows and, with `state`,
// says on the view's state line how many there are or what would fill it.
// A failure goes to the error line. Answers the items (null after a failure).
async function fillTable(view, load, row, state) {
  $(`${view}-error`).textContent = "";
  try {
    const items = await load();
    const rows = $(`${view}-rows`);
    rows.replaceChildren();
    for (const item of items) rows.append(await row(item));
    if (state) $(`${view}-state`).textContent = state(items);
    return items;
  } catch (err) {
    $(`${view}-error`).textContent = err.message;
    return null;
  }
}

// A state line: the count, or what would fill an empty view.
const countOr = (word, empty) => (items) => (items.length ? counted(items.length, word) : empty);

let runTarget = null;

onShow.workflows = () => fillTable("workflows",
  async () => (await api("/api/v1/workflows")).workflows,
  (w) => {
    const tr = el("tr");
    tr.dataset.id = w.id;
    const actions = el("td");
    const show = el("button", null, "Show");
    show.type = "button";
    show.addEventListener("click", async () => {
      const d = await api("/api/v1/workflows/" + enc(w.id));
      $("workflow-definition").textContent = JSON.stringify(d, null, 2);
      $("workflow-definition").hidden = false;
    });
    actions.append(show);
    if (may("publisher") && w.valid) {
      const run = el("button", "run", "Run…");
      run.type = "button";
      run.addEventListener("click", () => {
        runTarget = w.id;
        $("run-id").textContent = w.id;
        $("run-panel").hidden = false;
      });
      actions.append(" ", run);
    }
    tr.append(cell(w.id), cell(w.name), cell(w.origin), cell(w.steps), cell(w.valid ? "yes" : "no: " + (w.error || "")), actions);
    return tr;
  },
  countOr("workflow", "No workflows yet: PUT /api/v1/workflows/{id} (admin) or heraldd --workflows-dir."));

$("run-cancel").addEventListener("click", () => { $("run-panel").hidden = true; });
$("run-go").addEventListener("click", async () => {
  $("workflows-error").textContent = "";
  let input;
  try {
    input = JSON.parse($("run-input").value || "{}");
  } catch (e) {
    $("workflows-error").textContent = "The input is not JSON: " + e.message;
    return;
  }
  await confirmThen(`Run workflow ${runTarget} with this input?`, showError("workflows-error"), async () => {
    const res = await api(`/api/v1/workflows/${enc(runTarget)}/run`, {
      method: "POST", body: JSON.stringify(input),
    });
    $("run-panel").hidden = true;
    tasks.selected = res.task_id;
    location.hash = "#tasks";
  });
});

// -- tasks ----------------------------------------------------------------

const tasks = { selected: null, timer: null };

function ms(v) {
  return v === undefined || v === null ? "" : `${v} ms`;
}

async function listTasks() {
  const q = new URLSearchParams({ limit: "50" });
  for (const [k, v] of new FormData($("tasks-form"))) if (v) q.set(k, v);
  const items = await fillTable("tasks", async () => (await api("/api/v1/tasks?" + q)).tasks, (t) => {
    const tr = el("tr");
    tr.dataset.id = t.id;
    tr.classList.toggle("selected", t.id === tasks.selected);
    tr.append(linkCell(t.id, "tasks", () => showTask(t.id)), cell(t.workflow_id), cell(t.state), cell(t.started),
      cell(ms(t.duration_ms)));
    return tr;
  });
  if (items && !items.length)
    $("tasks-rows").append(Object.assign(el("tr"), { textContent: "No tasks: run a workflow from the Workflows view." }));
}

async function showTask(id) {
  tasks.selected = id;
  if (tasks.timer) clearTimeout(tasks.timer);
  tasks.timer = null;
  try {
    const t = await api("/api/v1/tasks/" + enc(id));
    $("task-detail").hidden = false;
    $("task-id").textContent = t.id;
    $("task-state").textContent = t.state;
    $("task-summary").textContent =
      `workflow ${t.workflow_id} · started ${t.started || ""}` +
      (t.duration_ms !== undefined ? ` · ${t.duration_ms} ms` : "") +
      (t.status && t.status !== "unknown" ? ` · status ${t.status} ${t.status_msg || ""}` : "") +
      (t.error ? ` · ${t.error}` : "");
    $("task-cancel").hidden = !(t.state === "running" && may("publisher"));
    const longest = Math.max(1, ...t.steps.map((s) => s.duration_ms || 0));
    const list = $("task-steps");
    list.replaceChildren();
    for (const s of t.steps) {
      const li = el("li", s.state);
      li.append(
        el("strong", null, s.name), " ",
        el("span", null, s.state + (s.duration_ms !== undefined ? ` · ${s.duration_ms} ms` : "")),
      );
      const bar = el("span", "bar");
      bar.style.width = `${Math.round(((s.duration_ms || 0) / longest) * 200)}px`;
      li.append(bar);
      if (s.error) li.append(el("div", "error", s.error));
      if (s.output !== undefined) {
        const d = el("details");
        d.append(el("summary", null, "output"), el("pre", null, JSON.stringify(s.output, null, 2)));
        li.append(d);
      }
      list.append(li);
    }
    await showProgress(t.id);
    listTasks();
    // A running task: follow it until it ends.
    if (t.state === "running" && location.hash === "#tasks")
      tasks.timer = setTimeout(() => showTask(id), 1000);
  } catch (err) {
    $("tasks-error").textContent = err.message;
  }
}

// What listeners reported on the task's actions (the `progress` events,
// newest first).
async function showProgress(id) {
  const filter = JSON.stringify({ "data.task_id": [id] });
  const page = await api(`/api/v1/events?name=progress&order=desc&limit=20&filter=${enc(filter)}`);
  const list = $("task-progress");
  list.replaceChildren();
  for (const ev of page.events) {
    const d = ev.data || {};
    const li = el("li");
    li.append(
      el("span", "time", (ev.time || "") + " "),
      el("span", "name", `${d.step ?? ""} · ${d.listener_id ?? ""}`),
      el("span", null, (d.percent !== undefined ? `  ${d.percent}%` : "") + (d.message !== undefined ? `  ${d.message}` : "")),
    );
    list.append(li);
  }
  if (!page.events.length) list.append(el("li", "status", "No progress reported."));
}

onShow.tasks = () => {
  listTasks();
  if (tasks.selected) showTask(tasks.selected);
};
$("tasks-form").addEventListener("submit", (e) => { e.preventDefault(); listTasks(); });
$("task-cancel").addEventListener("click", () =>
  confirmThen(`Cancel task ${tasks.selected}?`, showError("tasks-error"), async () => {
    await api(`/api/v1/tasks/${enc(tasks.selected)}/cancel`, { method: "POST", body: "{}" });
    showTask(tasks.selected);
  }));

// -- subscriptions ------------------------------------------------------
// The list holds the caller's own subscriptions (an admin's: all), and a
// subscription's creator may pause, resume and re-drive it: every listed
// one is offered its actions.

const subs = { selected: null, timer: null };

onShow.subscriptions = async () => {
  const items = await fillTable("subscriptions", async () => (await api("/api/v1/subscriptions")).subscriptions,
    (sub) => {
      const tr = el("tr");
      tr.dataset.id = sub.id;
      const dest = sub.destination || {};
      tr.append(linkCell(sub.id, "subscriptions", () => showSubscription(sub.id)),
        cell(sub.topic ? "topic " + sub.topic : sub.name),
        cell(`${dest.type || ""} ${dest.url || ""}`), cell(sub.enabled === false ? "no" : "yes"));
      return tr;
    },
    countOr("subscription", "No subscriptions: PUT /api/v1/subscriptions/{id} creates one."));
  if (items && subs.selected) showSubscription(subs.selected);
};

async function showSubscription(id) {
  subs.selected = id;
  if (subs.timer) clearTimeout(subs.timer);
  subs.timer = null;
  try {
    const sub = await api("/api/v1/subscriptions/" + enc(id));
    $("subscription-detail").hidden = false;
    $("subscription-id").textContent = id;
    $("subscription-body").textContent = JSON.stringify(sub, null, 2);
    const stats = el("tr");
    stats.append(cell(sub.state), cell(sub.cursor_seq), cell(sub.lag_events), cell(sub.lag_seconds),
      cell(sub.attempts), cell(sub.failures), cell(sub.dead_letters), cell(sub.last_error));
    $("subscription-stats").replaceChildren(stats);
    const dl = await api(`/api/v1/subscriptions/${enc(id)}/dead-letters?limit=100`);
    const list = $("dead-letters");
    list.replaceChildren();
    for (const d of dl.dead_letters) {
      const li = eventItem(d.event);
      li.querySelector("summary").append(
        el("span", "status", `  ${d.attempts} attempts · ${d.last_error || ""}`));
      list.append(li);
    }
    const n = dl.dead_letters.length;
    $("dead-letters-state").textContent = n
      ? `${n}${dl.next ? "+" : ""} dead letter${n === 1 && !dl.next ? "" : "s"}`
      : "No dead letters.";
    $("dead-letters-redrive").hidden = dl.dead_letters.length === 0;
    // Followed while shown: dead letters and state change as it delivers.
    if (location.hash === "#subscriptions")
      subs.timer = setTimeout(() => showSubscription(id), 2000);
  } catch (err) {
    $("subscriptions-error").textContent = err.message;
  }
}

function subscriptionAction(what, path, body) {
  return confirmThen(`${what} subscription ${subs.selected}?`, showError("subscriptions-error"), async () => {
    $("subscriptions-error").textContent = "";
    const res = await api(`/api/v1/subscriptions/${enc(subs.selected)}/${path}`,
      { method: "POST", body: JSON.stringify(body || {}) });
    if (res && res.count !== undefined) $("dead-letters-state").textContent = `${res.count} re-driven`;
    await showSubscription(subs.selected);
  });
}

$("subscription-pause").addEventListener("click", () => subscriptionAction("Pause", "pause"));
$("subscription-resume").addEventListener("click", () => subscriptionAction("Resume", "resume"));
$("dead-letters-redrive").addEventListener("click",
  () => subscriptionAction("Re-drive every dead letter of", "dead-letters/redrive", {}));

// -- topics ---------------------------------------------------------------
// Topics group rules (source, name, filter); subscriptions follow them. An
// admin may delete one (its subscriptions then match nothing).

onShow.topics = () => {
  let subscriptions = [];
  return fillTable("topics",
    async () => {
      const [body, subsBody] = await Promise.all([api("/api/v1/topics"), api("/api/v1/subscriptions")]);
      subscriptions = subsBody.subscriptions;
      return body.topics;
    },
    (t) => {
      const tr = el("tr");
      tr.dataset.id = t.id;
      const rules = el("td");
      rules.append(el("pre", null, (t.rules || []).map((r) => JSON.stringify(r)).join("\n")));
      const following = subscriptions.filter((sub) => sub.topic === t.id).map((sub) => sub.id);
      const actions = el("td");
      if (may("admin"))
        actions.append(actionButton("Delete", "delete", `Delete topic ${t.id} (its subscriptions will match nothing)`,
          () => api("/api/v1/topics/" + enc(t.id), { method: "DELETE" }).then(onShow.topics)));
      tr.append(cell(t.id), rules, cell(following.length ? following.join(", ") : "none"), cell(t.version), actions);
      return tr;
    },
    countOr("topic", "No topics: PUT /api/v1/topics/{id} (admin) groups rules that subscriptions follow."));
};

// -- triggers -------------------------------------------------------------

function actionButton(label, cls, what, run) {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", () => confirmThen(what + "?", (m) => window.alert(m), run));
  return b;
}

onShow.triggers = () => fillTable("triggers",
  async () => (await api("/api/v1/triggers")).triggers,
  (t) => {
    const tr = el("tr");
    tr.dataset.id = t.id;
    const actions = el("td");
    if (may("admin"))
      actions.append(t.enabled
        ? actionButton("Disable", "disable", `Disable trigger ${t.id}`,
            () => api(`/api/v1/triggers/${enc(t.id)}/disable`, { method: "POST", body: "{}" }).then(onShow.triggers))
        : actionButton("Enable", "enable", `Enable trigger ${t.id}`,
            () => api(`/api/v1/triggers/${enc(t.id)}/enable`, { method: "POST", body: "{}" }).then(onShow.triggers)));
    if (may("publisher"))
      actions.append(" ", actionButton("Fire now", "fire", `Fire trigger ${t.id} now`, async () => {
        const res = await api(`/api/v1/triggers/${enc(t.id)}/fire`, { method: "POST", body: "{}" });
        tasks.selected = res.task_id;
        location.hash = "#tasks";
      }));
    const when = t.type === "schedule" ? (t.cron || `every ${t.every}`) : `on ${t.event}`;
    tr.append(linkCell(t.id, "triggers", () => showTrigger(t.id)), cell(t.type), cell(when), cell(t.workflow),
      cell(t.enabled ? "yes" : "no"), actions);
    return tr;
  },
  countOr("trigger", "No triggers: PUT /api/v1/triggers/{id} (admin) creates one."));

async function showTrigger(id) {
  try {
    const t = await api("/api/v1/triggers/" + enc(id));
    $("trigger-detail").hidden = false;
    $("trigger-id").textContent = id;
    $("trigger-summary").textContent =
      `last fire ${t.last_fire || "never"} · next fire ${t.next_fire || "none"} · ` +
      `${t.fires || 0} fires, ${t.failures || 0} failures` +
      (t.disabled_reason ? ` · disabled: ${t.disabled_reason}` : "");
    const list = $("trigger-fires");
    list.replaceChildren();
    if (t.type === "schedule") {
      const p = await api(`/api/v1/triggers/${enc(id)}/preview?n=5`);
      for (const f of p.fires) list.append(el("li", null, f));
    } else {
      list.append(el("li", null, "fires on matching events"));
    }
  } catch (err) {
    $("triggers-error").textContent = err.message;
  }
}

// -- sources --------------------------------------------------------------

onShow.sources = () => fillTable("sources",
  async () => (await api("/api/v1/sources")).sources,
  (src) => {
    const tr = el("tr");
    tr.dataset.id = src.id;
    const actions = el("td");
    if (may("admin") && src.id !== "herald")
      actions.append(actionButton(src.enabled ? "Disable" : "Enable", "toggle",
        `${src.enabled ? "Disable" : "Enable"} source ${src.id}`,
        () => api("/api/v1/sources/" + enc(src.id), {
          method: "PUT", body: JSON.stringify({ enabled: !src.enabled }),
        }).then(onShow.sources)));
    tr.append(cell(src.id), cell(src.events), cell(src.last_seq), cell(src.last_accept_time),
      cell(src.enabled ? "yes" : "no"), actions);
    return tr;
  });

// -- listeners and config ---------------------------------------------------

onShow.listeners = () => fillTable("listeners",
  async () => (await api("/api/v1/listeners")).listeners,
  (l) => {
    const tr = el("tr");
    tr.dataset.id = l.id;
    tr.append(cell(l.id), cell((l.handles || []).join(", ")), cell(l.ip), cell(l.connected), cell(l.pending));
    return tr;
  },
  (ls) => ls.length
    ? `${ls.length} connected`
    : "No listener is connected: a service connects to /api/v1/listeners/{id} to take workflow actions.");

onShow.config = () => fillTable("config",
  async () => (await api("/api/v1/config")).configs,
  async (c) => {
    const v = await api("/api/v1/config/" + enc(c.key));
    const tr = el("tr");
    tr.dataset.key = c.key;
    const value = el("td");
    value.append(el("pre", null, JSON.stringify(v.value, null, 2)));
    tr.append(cell(c.key), cell(c.version), value);
    return tr;
  },
  countOr("key", "No config keys: PUT /api/v1/config/{key} stores one."));

// -- nodes ----------------------------------------------------------------

onShow.nodes = () => fillTable("nodes",
  async () => (await api("/api/v1/nodes")).nodes,
  (n) => {
    const tr = el("tr", n.state);
    tr.dataset.id = n.id;
    const owns = n.owns || {};
    tr.append(cell(n.id + (n.self ? " (this node)" : "")), cell(n.state), cell(n.address), cell(n.http),
      cell(n.last_seen), cell(owns.triggers), cell(owns.subscriptions), cell((owns.objects || []).join(", ")));
    return tr;
  },
  (ns) => `${ns.filter((n) => n.state === "up").length} of ${ns.length} up`);

// -- start ----------------------------------------------------------------

window.addEventListener("hashchange", route);
scheduleRenew();
if (credential()) loadMe();
else route();
