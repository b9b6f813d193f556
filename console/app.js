// Herald's web console: plain ES module, no build step. Everything an event
// holds is untrusted and rendered as text (textContent), never as markup.
// The credential lives in sessionStorage (this tab only) and travels in the
// Authorization header; only the WebSocket stream, which cannot carry
// headers from a browser, gets it as ?access_token=.

const store = window.sessionStorage;
const keep = 500; // events kept in the live tail

const $ = (id) => document.getElementById(id);

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

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + credential() } });
  if (r.status === 401) {
    signOut("Your credential is no longer accepted; sign in again.");
    throw new Error("signed out");
  }
  if (!r.ok) throw new Error(await errorText(r));
  return r.json();
}

// -- rendering ----------------------------------------------------------

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// One event: a summary line and, expanded, the whole event as formatted
// JSON. Text only.
function eventItem(ev) {
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
  li.append(details);
  return li;
}

// -- views --------------------------------------------------------------

const views = ["signin", "tail", "search"];

function show(view) {
  if (!credential()) view = "signin";
  else if (!views.includes(view) || view === "signin") view = "tail";
  for (const v of views) $(v).hidden = v !== view;
  $("nav").hidden = !credential();
  $("signout").hidden = !credential();
  $("who").textContent = credential() ? "signed in as " + whoFromToken(credential()) : "";
  for (const a of document.querySelectorAll("#nav a"))
    a.classList.toggle("active", a.dataset.view === view);
}

function route() {
  show(location.hash.slice(1));
}

function signOut(message) {
  tail.stop();
  clearCredential();
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
    route();
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
  route();
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
    for (const ev of page.events) list.append(eventItem(ev));
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

// -- start ----------------------------------------------------------------

window.addEventListener("hashchange", route);
scheduleRenew();
route();
