// Drives Herald's web console in a real headless Chromium (Debian's
// `chromium`, through puppeteer-core) against a running heraldd, the way an
// operator uses it. Run by tests/process/console_browser_test.cpp:
//
//   node check.mjs --url http://127.0.0.1:PORT --token ADMIN_TOKEN \
//     --user NAME --password PASSWORD --reader NAME --reader-password PASSWORD \
//     --shots DIR [--chromium PATH]
//
// --user holds the reader and publisher roles, --reader only reader.
//
// Publishes through the API with --token, signs in through the console with
// --user/--password. Writes a screenshot of each view to --shots. Exit 0
// when every check held; otherwise the failed step on stderr (and a
// screenshot of the page at that moment as failure.png).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import puppeteer from "puppeteer-core";

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["url", "token", "user", "password", "reader", "reader-password", "shots"])
  if (!args[k]) {
    console.error(`missing --${k}`);
    process.exit(2);
  }
fs.mkdirSync(args.shots, { recursive: true });
fs.rmSync(path.join(args.shots, "failure.png"), { force: true }); // an earlier run's

let step = "start";
const deadline = (ms) => ({ timeout: ms });

// One API call with `token`; the reply's JSON, or an error naming it.
async function call(token, method, pathname, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const r = await fetch(args.url + pathname, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${pathname}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}
const adminCall = (method, pathname, body) => call(args.token, method, pathname, body);
const publish = (events) => adminCall("POST", "/api/v1/events", events);

const browser = await puppeteer.launch({
  executablePath: args.chromium || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
// Uncaught exceptions and the page's own console errors count; the
// browser's "Failed to load resource" lines are the refusals this check
// provokes on purpose, listed by URL instead.
const refusals = [];
page.on("console", (m) => {
  if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
    pageErrors.push(m.text());
});
page.on("response", (r) => {
  if (r.status() >= 400) refusals.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
});
// Every mutating action asks first: accept, and count the questions.
const confirmations = [];
page.on("dialog", async (d) => {
  confirmations.push(d.message());
  await d.accept();
});
// Clicks an element of a list the page may re-render at any moment, in one
// step inside the page (no handle that a re-render could detach).
const clickNow = (selector) =>
  page.$eval(selector, (e) => e.click());
const shot = (name) => page.screenshot({ path: path.join(args.shots, name + ".png"), fullPage: true });

try {
  step = "the root leads to the sign-in view";
  await page.goto(args.url + "/", { waitUntil: "networkidle0" });
  if (!page.url().endsWith("/console/")) throw new Error("landed on " + page.url());
  await page.waitForSelector("#signin:not([hidden])", deadline(5000));
  await shot("signin");

  step = "a wrong password is refused and said so";
  await page.type("#login-form input[name=username]", args.user);
  await page.type("#login-form input[name=password]", args.password + "-wrong");
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(
    () => document.getElementById("signin-error").textContent.includes("401"), deadline(5000));

  step = "signing in with name and password";
  await page.$eval("#login-form", (f) => f.reset());
  await page.type("#login-form input[name=username]", args.user);
  await page.type("#login-form input[name=password]", args.password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#tail:not([hidden])", deadline(5000));
  const who = await page.$eval("#who", (e) => e.textContent);
  if (!who.includes(args.user)) throw new Error("header says: " + who);
  const inUrl = await page.evaluate(() => location.href);
  if (inUrl.includes("eyJ")) throw new Error("the token is in the URL: " + inUrl);
  const firstToken = await page.evaluate(() => sessionStorage.getItem("herald.token"));

  step = "the live tail starts";
  await page.click("#tail-form button[type=submit]");
  await page.waitForFunction(
    () => document.getElementById("tail-state").textContent === "live", deadline(5000));

  step = "a published event appears in the live tail within a second";
  const t0 = Date.now();
  await publish([{ name: "console.check.hello", source: "console-check", data: { n: 1 } }]);
  await page.waitForFunction(
    () => [...document.querySelectorAll("#tail-events .name")].some((e) => e.textContent === "console.check.hello"),
    deadline(1000));
  const seen = Date.now() - t0;

  step = "event data holding markup and script renders inert";
  const xss = {
    html: '<img src=x onerror="window.__xss=1">',
    tag: "</script><script>window.__xss=2</script>",
  };
  await publish([{ name: "console.check.xss", source: "console-check", data: xss }]);
  await page.waitForFunction(
    () => [...document.querySelectorAll("#tail-events .name")].some((e) => e.textContent === "console.check.xss"),
    deadline(2000));
  await page.click("#tail-events li:first-child summary");
  const shown = await page.$eval("#tail-events li:first-child pre", (e) => e.textContent);
  if (!shown.includes('<img src=x onerror=\\"window.__xss=1\\">') || !shown.includes("</script><script>"))
    throw new Error("the event's text is not shown as it is: " + shown);
  const ran = await page.evaluate(() => ({
    flag: window.__xss,
    imgs: document.querySelectorAll("main img").length,
    scripts: document.querySelectorAll("main script").length,
  }));
  if (ran.flag !== undefined || ran.imgs !== 0 || ran.scripts !== 0)
    throw new Error("event data became markup: " + JSON.stringify(ran));
  await shot("tail");

  step = "pause holds new events back, resume shows them";
  await page.click("#tail-pause");
  await publish([{ name: "console.check.paused", source: "console-check" }]);
  // It arrives (the state counts it) but the list does not grow.
  await page.waitForFunction(
    () => document.getElementById("tail-state").textContent === "paused (1 new)", deadline(2000));
  const whilePaused = await page.$$eval("#tail-events .name", (es) => es.map((e) => e.textContent));
  if (whilePaused.includes("console.check.paused")) throw new Error("a paused tail showed a new event");
  await page.click("#tail-pause");
  await page.waitForFunction(
    () => [...document.querySelectorAll("#tail-events .name")].some((e) => e.textContent === "console.check.paused"),
    deadline(2000));

  step = "an audit search by scope pages through its results";
  const batch = [];
  for (let i = 0; i < 25; ++i)
    batch.push({ name: "console.check.audit", source: "console-check", scope: "inventory/console/app", data: { i } });
  await publish(batch);
  await page.click('#nav a[data-view="search"]');
  await page.waitForSelector("#search:not([hidden])", deadline(2000));
  await page.type("#search-form input[name=scope]", "inventory/console");
  await page.$eval("#search-form input[name=limit]", (e) => (e.value = "10"));
  await page.select("#search-form select[name=order]", "asc");
  await page.click("#search-form button[type=submit]");
  const count = () => page.$$eval("#search-events li", (es) => es.length);
  await page.waitForFunction(() => document.querySelectorAll("#search-events li").length === 10, deadline(5000));
  await page.click("#search-more");
  await page.waitForFunction(() => document.querySelectorAll("#search-events li").length === 20, deadline(5000));
  await page.click("#search-more");
  await page.waitForFunction(() => document.querySelectorAll("#search-events li").length === 25, deadline(5000));
  if (!(await page.$eval("#search-more", (e) => e.hidden))) throw new Error("a next page is offered after the last");
  const firstTexts = await page.$$eval("#search-events .name", (es) => es.map((e) => e.textContent));
  if (firstTexts.some((t) => t !== "console.check.audit")) throw new Error("search shows other events: " + firstTexts);
  if ((await count()) !== 25) throw new Error("not 25 results");

  step = "the scope tree browses the hierarchy and searches a scope";
  await page.waitForSelector('#scope-tree li[data-scope="inventory"] > button.toggle', deadline(5000));
  await clickNow('#scope-tree li[data-scope="inventory"] > button.toggle');
  await page.waitForSelector('#scope-tree li[data-scope="inventory/console"] > button.toggle', deadline(5000));
  await clickNow('#scope-tree li[data-scope="inventory/console"] > button.toggle');
  await page.waitForSelector('#scope-tree li[data-scope="inventory/console/app"] > a', deadline(5000));
  const roots = await page.$$eval("#scope-tree > li", (es) => es.map((e) => e.dataset.scope));
  if (JSON.stringify(roots) !== JSON.stringify(["inventory"])) throw new Error("root scopes: " + roots);
  await page.$eval("#search-events", (e) => e.replaceChildren());
  await clickNow('#scope-tree li[data-scope="inventory/console/app"] > a');
  await page.waitForFunction(() => document.querySelectorAll("#search-events li").length === 10, deadline(5000));
  const searched = await page.$eval("#search-form input[name=scope]", (e) => e.value);
  if (searched !== "inventory/console/app") throw new Error("the tree searched scope " + searched);

  step = "an event of the search shows its CloudEvents form";
  await page.click("#search-events li:first-child summary");
  await clickNow("#search-events li:first-child button.as-cloudevent");
  await page.waitForFunction(
    () => !document.querySelector("#search-events li:first-child pre.cloudevent").hidden, deadline(5000));
  const ce = JSON.parse(await page.$eval("#search-events li:first-child pre.cloudevent", (e) => e.textContent));
  if (ce.specversion !== "1.0" || ce.type !== "console.check.audit" || ce.source !== "console-check")
    throw new Error("CloudEvents view: " + JSON.stringify(ce));
  await shot("search");

  step = "the scope tree's Refresh shows scopes stored since it loaded";
  await publish([{ name: "console.check.tree", source: "console-tree", scope: "project/console" }]);
  const wide = [];
  for (let i = 0; i <= 100; ++i)
    wide.push({ name: "console.check.tree", source: "console-tree", scope: `wide/s${String(i).padStart(3, "0")}` });
  await publish(wide);
  await page.click("#scope-tree-refresh");
  await page.waitForSelector('#scope-tree > li[data-scope="project"]', deadline(5000));

  step = "a level with more than a page of scopes continues with more…";
  await clickNow('#scope-tree > li[data-scope="wide"] > button.toggle');
  await page.waitForSelector('#scope-tree li[data-scope="wide"] button.more', deadline(5000));
  const firstPage = await page.$$eval('#scope-tree li[data-scope="wide"] li[data-scope]', (es) => es.length);
  if (firstPage !== 100) throw new Error("the first page of wide/ holds " + firstPage);
  await clickNow('#scope-tree li[data-scope="wide"] button.more');
  await page.waitForSelector('#scope-tree li[data-scope="wide/s100"]', deadline(5000));
  if (await page.$('#scope-tree li[data-scope="wide"] button.more')) throw new Error("more… offered after the last page");

  step = "running a workflow shows its task reach succeeded";
  await adminCall("PUT", "/api/v1/workflows/console-greet", {
    name: "Console greet",
    steps: [{ name: "hello", emit: { name: "console.check.greeted", data: { who: "${input.who}" } } }],
  });
  await page.click('#nav a[data-view="workflows"]');
  await page.waitForSelector('#workflows-rows tr[data-id="console-greet"] button.run', deadline(5000));
  await shot("workflows");
  await clickNow('#workflows-rows tr[data-id="console-greet"] button.run');
  await page.$eval("#run-input", (e) => (e.value = '{"who":"ops"}'));
  await page.click("#run-go");
  await page.waitForSelector("#tasks:not([hidden])", deadline(5000));
  await page.waitForFunction(() => document.getElementById("task-state").textContent === "succeeded", deadline(10000));
  if (!confirmations.some((m) => m.includes("console-greet")))
    throw new Error("running asked no confirmation: " + JSON.stringify(confirmations));
  const steps = await page.$$eval("#task-steps li", (es) => es.map((e) => e.className + " " + e.textContent));
  if (steps.length !== 1 || !steps[0].startsWith("succeeded hello")) throw new Error("steps: " + steps);
  await shot("tasks");

  step = "a dead letter is re-driven from the subscription view";
  // A webhook receiver that refuses until told to accept.
  let accept = false;
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (!accept) { res.writeHead(503); res.end(); return; }
      received.push(body);
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  const login = await call(null, "POST", "/api/v1/auth/login",
    { username: args.user, password: args.password });
  const asUser = (method, pathname, body) => call(login.token, method, pathname, body);
  await asUser("PUT", "/api/v1/subscriptions/console-hook", {
    name: "console.check.hook",
    destination: { type: "webhook", url: `http://127.0.0.1:${receiver.address().port}/` },
    retry: { max_attempts: 1 },
  });
  await publish([{ name: "console.check.hook", source: "console-check", data: { n: 1 } }]);
  for (let i = 0; ; ++i) {
    const dl = await asUser("GET", "/api/v1/subscriptions/console-hook/dead-letters");
    if (dl.dead_letters.length === 1) break;
    if (i > 100) throw new Error("no dead letter after 10 s");
    await new Promise((ok) => setTimeout(ok, 100));
  }
  accept = true;
  await page.click('#nav a[data-view="subscriptions"]');
  await page.waitForSelector('#subscriptions-rows tr[data-id="console-hook"] a', deadline(5000));
  await clickNow('#subscriptions-rows tr[data-id="console-hook"] a');
  await page.waitForFunction(
    () => document.getElementById("dead-letters-state").textContent === "1 dead letter", deadline(5000));
  const subRow = await page.$$eval('#subscriptions-rows tr[data-id="console-hook"] td', (es) => es.map((e) => e.textContent));
  if (subRow[1] !== "console.check.hook" || subRow[3] !== "yes") throw new Error("subscription row: " + subRow);
  const stats = await page.$$eval("#subscription-stats td", (es) => es.map((e) => e.textContent));
  if (stats[0] !== "active" || Number(stats[4]) < 1) throw new Error("subscription state: " + stats);
  await shot("subscriptions");
  await page.click("#dead-letters-redrive");
  for (let i = 0; received.length === 0; ++i) {
    if (i > 100) throw new Error("the re-driven event never reached the receiver");
    await new Promise((ok) => setTimeout(ok, 100));
  }
  if (JSON.parse(received[0]).name !== "console.check.hook") throw new Error("received " + received[0]);
  if (!confirmations.some((m) => m.includes("Re-drive") && m.includes("console-hook")))
    throw new Error("re-drive asked no confirmation: " + JSON.stringify(confirmations));
  // The view follows the subscription: the dead letter leaves it once the
  // re-drive delivered it.
  await page.waitForFunction(
    () => document.getElementById("dead-letters-state").textContent === "No dead letters.", deadline(10000));
  receiver.close();

  step = "topics show their rules and the subscriptions that follow them";
  await adminCall("PUT", "/api/v1/topics/console-orders",
    { rules: [{ source: "console-check", name: "console.check.*" }] });
  await asUser("PUT", "/api/v1/subscriptions/console-orders-hook", {
    topic: "console-orders", enabled: false,
    destination: { type: "webhook", url: "http://127.0.0.1:9/orders" },
  });
  await page.click('#nav a[data-view="topics"]');
  await page.waitForSelector('#topics-rows tr[data-id="console-orders"]', deadline(5000));
  const topicCells = await page.$$eval('#topics-rows tr[data-id="console-orders"] td', (es) => es.map((e) => e.textContent));
  if (!topicCells[1].includes('"source":"console-check"') || topicCells[2] !== "console-orders-hook")
    throw new Error("topic row: " + topicCells);
  if ((await page.$$eval("#topics-rows button", (es) => es.length)) !== 0)
    throw new Error("a non-admin is offered to delete a topic");

  step = "a login session renews its token before it expires";
  // The node gives login tokens 70 s (--token-ttl): the console renews
  // 10 s after sign-in, and keeps working with the new token.
  await page.waitForFunction(
    (first) => { const t = sessionStorage.getItem("herald.token"); return t && t !== first; },
    deadline(30000), firstToken);
  const renewed = await page.evaluate(async () => {
    const r = await fetch("/api/v1/auth/me", { headers: { Authorization: "Bearer " + sessionStorage.getItem("herald.token") } });
    return { status: r.status, me: await r.json(), exp: Number(sessionStorage.getItem("herald.exp")) };
  });
  if (renewed.status !== 200 || renewed.me.name !== args.user || renewed.me.exp !== renewed.exp)
    throw new Error("the renewed token: " + JSON.stringify(renewed));

  step = "triggers show their next fires; sources their counts";
  await adminCall("PUT", "/api/v1/triggers/console-nightly", {
    type: "schedule", name: "nightly greet", cron: "0 3 * * *", timezone: "UTC",
    workflow: "console-greet", input: { who: "night" }, enabled: true,
  });
  await page.click('#nav a[data-view="triggers"]');
  await page.waitForSelector('#triggers-rows tr[data-id="console-nightly"] a', deadline(5000));
  const offered = await page.$$eval('#triggers-rows tr[data-id="console-nightly"] button', (es) => es.map((e) => e.textContent));
  if (JSON.stringify(offered) !== JSON.stringify(["Fire now"]))
    throw new Error("a publisher is offered " + JSON.stringify(offered));
  await clickNow('#triggers-rows tr[data-id="console-nightly"] a');
  await page.waitForFunction(() => document.querySelectorAll("#trigger-fires li").length === 5, deadline(5000));
  const fires = await page.$$eval("#trigger-fires li", (es) => es.map((e) => e.textContent));
  if (!fires.every((f) => /T03:00:00(\.0+)?Z$/.test(f))) throw new Error("next fires: " + fires);
  await shot("triggers");
  await page.click('#nav a[data-view="sources"]');
  await page.waitForSelector('#sources-rows tr[data-id="console-check"]', deadline(5000));
  const srcCells = await page.$$eval('#sources-rows tr[data-id="console-check"] td', (es) => es.map((e) => e.textContent));
  // hello, xss, paused, 25 audit events and the hook event.
  if (Number(srcCells[1]) !== 29) throw new Error("source row: " + srcCells);
  if ((await page.$$eval("#sources-rows button", (es) => es.length)) !== 0)
    throw new Error("a non-admin is offered to disable a source");
  await shot("sources");
  await page.click('#nav a[data-view="listeners"]');
  await page.waitForFunction(
    () => document.getElementById("listeners-state").textContent.startsWith("No listener is connected"), deadline(5000));
  if (!(await page.$eval('#nav a[data-view="config"]', (e) => e.hidden)))
    throw new Error("a non-admin is offered the config view");

  step = "signing out forgets the credential";
  await page.click("#signout");
  await page.waitForSelector("#signin:not([hidden])", deadline(2000));
  const left = await page.evaluate(() => sessionStorage.getItem("herald.token"));
  if (left !== null) throw new Error("the token stayed in sessionStorage");

  step = "a reader sees no actions beyond reading";
  await page.type("#login-form input[name=username]", args.reader);
  await page.type("#login-form input[name=password]", args["reader-password"]);
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("who").textContent.includes("(reader)"), deadline(5000));
  await page.click('#nav a[data-view="workflows"]');
  await page.waitForSelector('#workflows-rows tr[data-id="console-greet"]', deadline(5000));
  const runButtons = await page.$$eval("#workflows-rows button.run", (es) => es.length);
  if (runButtons !== 0) throw new Error("a reader is offered Run");
  await page.click('#nav a[data-view="tasks"]');
  await page.waitForSelector("#tasks-rows tr[data-id] a", deadline(5000));
  await clickNow("#tasks-rows tr[data-id] a");
  await page.waitForFunction(() => document.getElementById("task-state").textContent === "succeeded", deadline(5000));
  if (!(await page.$eval("#task-cancel", (e) => e.hidden))) throw new Error("a reader is offered Cancel");
  await page.click('#nav a[data-view="triggers"]');
  await page.waitForSelector('#triggers-rows tr[data-id="console-nightly"]', deadline(5000));
  if ((await page.$$eval("#triggers-rows button", (es) => es.length)) !== 0)
    throw new Error("a reader is offered trigger actions");
  await page.click("#signout");
  await page.waitForSelector("#signin:not([hidden])", deadline(2000));

  step = "a pasted token signs in";
  await page.type("#token-form input[name=token]", args.token);
  await page.click("#token-form button[type=submit]");
  await page.waitForSelector("#tail:not([hidden])", deadline(5000));

  step = "an admin sees the config";
  await adminCall("PUT", "/api/v1/config/console.check", { retention: "30d", "<b>": "</td>" });
  await page.waitForFunction(() => !document.querySelector('#nav a[data-view="config"]').hidden, deadline(5000));
  await page.click('#nav a[data-view="config"]');
  await page.waitForSelector('#config-rows tr[data-key="console.check"]', deadline(5000));
  const cfg = await page.$eval('#config-rows tr[data-key="console.check"] pre', (e) => e.textContent);
  if (!cfg.includes('"<b>": "</td>"')) throw new Error("config value shown as: " + cfg);
  if ((await page.$$eval("#config-rows b", (es) => es.length)) !== 0) throw new Error("config value became markup");
  await shot("config");
  await page.click('#nav a[data-view="topics"]');
  await page.waitForSelector('#topics-rows tr[data-id="console-orders"] button.delete', deadline(5000));
  await shot("topics");
  await page.click('#nav a[data-view="listeners"]');
  await page.waitForFunction(
    () => document.getElementById("listeners-state").textContent.startsWith("No listener is connected"), deadline(5000));

  step = "a connected listener is listed, and its progress shows on the task";
  // A listener in another tab: it reports progress on each action and
  // answers once told to.
  const lp = await browser.newPage();
  lp.on("pageerror", (e) => pageErrors.push("listener tab: " + String(e)));
  await lp.goto(args.url + "/console/", { waitUntil: "networkidle0" });
  await lp.evaluate((token) => {
    const ws = new WebSocket(`ws://${location.host}/api/v1/listeners/console-collector?handles=collect&access_token=${encodeURIComponent(token)}`);
    window.__listener = { ws, open: false, actions: [] };
    ws.onopen = () => { window.__listener.open = true; };
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.kind !== "action") return;
      window.__listener.actions.push(f);
      ws.send(JSON.stringify({ kind: "progress", task_id: f.task_id, step: f.step, percent: 50, message: "half way" }));
    };
  }, args.token);
  // The tab in the background polls by time (animation frames stop there).
  await lp.waitForFunction(() => window.__listener.open, { polling: 50, timeout: 5000 });
  await page.bringToFront();
  await adminCall("PUT", "/api/v1/workflows/console-collect", {
    name: "Console collect", steps: [{ name: "collect", perform_action: { action: "collect" }, timeout: "1m" }],
  });
  const run = await adminCall("POST", "/api/v1/workflows/console-collect/run", {});
  await lp.waitForFunction(() => window.__listener.actions.length === 1, { polling: 50, timeout: 10000 });
  await page.click('#nav a[data-view="nodes"]');
  await page.click('#nav a[data-view="listeners"]');
  await page.waitForSelector('#listeners-rows tr[data-id="console-collector"]', deadline(5000));
  const listenerCells = await page.$$eval('#listeners-rows tr[data-id="console-collector"] td', (es) => es.map((e) => e.textContent));
  if (listenerCells[1] !== "collect" || listenerCells[4] !== "1") throw new Error("listener row: " + listenerCells);
  await shot("listeners");
  await page.click('#nav a[data-view="tasks"]');
  await page.waitForSelector(`#tasks-rows tr[data-id="${run.task_id}"] a`, deadline(5000));
  await clickNow(`#tasks-rows tr[data-id="${run.task_id}"] a`);
  await page.waitForFunction(
    () => [...document.querySelectorAll("#task-progress li")].some((e) => e.textContent.includes("50%  half way")),
    deadline(10000));
  if ((await page.$eval("#task-state", (e) => e.textContent)) !== "running") throw new Error("the task is not running");
  await shot("task-progress");
  await lp.evaluate((id) => {
    window.__listener.ws.send(JSON.stringify({ kind: "action_done", task_id: id, step: "collect" }));
  }, run.task_id);
  await page.waitForFunction(() => document.getElementById("task-state").textContent === "succeeded", deadline(10000));
  await lp.close();

  step = "the nodes view shows this node up";
  await page.click('#nav a[data-view="nodes"]');
  await page.waitForSelector("#nodes-rows tr.up", deadline(5000));
  const nodeCells = await page.$$eval("#nodes-rows tr.up td", (es) => es.map((e) => e.textContent));
  if (!nodeCells[0].endsWith("(this node)") || nodeCells[1] !== "up" || Number(nodeCells[6]) < 2)
    throw new Error("node row: " + nodeCells);
  await shot("nodes");

  if (pageErrors.length) throw new Error("the page logged errors: " + pageErrors.join(" | "));
  // The one refusal provoked: the wrong password.
  if (refusals.length !== 1 || refusals[0] !== "401 POST /api/v1/auth/login")
    throw new Error("unexpected refused requests: " + refusals.join(" | "));
  console.log(JSON.stringify({ ok: true, tail_ms: seen }));
  await browser.close();
} catch (e) {
  console.error(`console check failed at "${step}": ${e.message}`);
  if (pageErrors.length) console.error("page errors: " + pageErrors.join(" | "));
  try { await page.screenshot({ path: path.join(args.shots, "failure.png"), fullPage: true }); } catch (_) {}
  await browser.close();
  process.exit(1);
}
