#!/usr/bin/env node
// Validates CloudEvents with the official CloudEvents JavaScript SDK
// (npm `cloudevents`, pinned in package.json) in strict mode.
//
// stdin:  a JSON array of CloudEvents, one CloudEvent object, or a Herald
//         query reply `{"events":[...],"next":...}`.
// stdout: a JSON array of the SDK's structured-mode serialization of each
//         event (what an SDK client would send back).
// exit:   0 when every event passed; 1 naming the first failure on stderr.
//
// Each event is constructed with `new CloudEvent(obj, true)` (strict: the
// v1.0 JSON schema with its uri-reference/uri/date-time formats, attribute
// names, extension value types), serialized with HTTP.structured, parsed
// back with HTTP.toEvent and validated again; its attributes and data must
// survive unchanged (`time` is compared as an instant to the millisecond:
// the SDK writes Date.toISOString()).
"use strict";

const { CloudEvent, HTTP } = require("cloudevents");

function fail(message) {
  process.stderr.write(message + "\n");
  process.exit(1);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function check(obj, index) {
  const where = `event ${index} (id ${JSON.stringify(obj && obj.id)})`;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj))
    fail(`${where}: not a JSON object`);
  let event;
  try {
    event = new CloudEvent(obj, true);
    event.validate();
  } catch (e) {
    fail(`${where}: rejected by the SDK in strict mode: ${e.message}`);
  }
  let message;
  let back;
  try {
    message = HTTP.structured(event);
    back = HTTP.toEvent({ headers: message.headers, body: message.body });
    back.validate();
  } catch (e) {
    fail(`${where}: the SDK's own serialization does not read back: ${e.message}`);
  }
  const serialized = JSON.parse(message.body);
  for (const [key, value] of Object.entries(obj)) {
    if (key === "time") {
      if (Date.parse(serialized.time) !== Date.parse(value))
        fail(`${where}: time ${value} came back as ${serialized.time}`);
    } else if (!same(serialized[key], value)) {
      fail(`${where}: ${key} ${JSON.stringify(value)} came back as ` +
           `${JSON.stringify(serialized[key])}`);
    }
  }
  for (const key of ["id", "type", "source", "subject", "datacontenttype",
                     "dataschema", "data_base64"])
    if (!same(back[key], obj[key]))
      fail(`${where}: ${key} ${JSON.stringify(obj[key])} read back as ` +
           `${JSON.stringify(back[key])}`);
  if ("data" in obj && !same(back.data, obj.data))
    fail(`${where}: data ${JSON.stringify(obj.data)} read back as ` +
         `${JSON.stringify(back.data)}`);
  return serialized;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  let doc;
  try {
    doc = JSON.parse(input);
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  const events = Array.isArray(doc)
    ? doc
    : doc && Array.isArray(doc.events)
      ? doc.events
      : [doc];
  if (events.length === 0)
    fail("no events to check");
  const out = events.map(check);
  process.stdout.write(JSON.stringify(out) + "\n");
});
