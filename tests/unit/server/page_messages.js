// Runs the page's script (assistant/server/static/app.js) in Node on a stub DOM and hands it
// the messages a connection sent, as its WebSocket would; prints what the page then shows.
// Usage: node page_messages.js APP_JS < messages.json   (a JSON list of messages)
"use strict";
const fs = require("fs");
const vm = require("vm");

function element() {
  // an element that takes any property and call the page makes; children made by
  // querySelector are kept per selector, so a turn's ".reply" is one element
  const children = new Map();
  const el = {
    textContent: "", value: "", hidden: false, disabled: false, open: false, innerHTML: "",
    dataset: {}, style: {},
    classList: { toggle() {}, add() {}, remove() {} },
    addEventListener() {}, dispatchEvent() {}, setAttribute() {}, focus() {}, append() {},
    scrollIntoView() {},
    querySelector(sel) {
      if (!children.has(sel)) children.set(sel, element());
      return children.get(sel);
    },
    get lastElementChild() { return null; },
  };
  return el;
}

const elements = new Map();
const context = {
  document: {
    getElementById(id) { if (!elements.has(id)) elements.set(id, element()); return elements.get(id); },
    createElement: () => element(),
    addEventListener() {},
  },
  location: { hash: "", pathname: "/", search: "", protocol: "http:", host: "127.0.0.1" },
  history: { replaceState() {} },
  localStorage: { getItem: () => "", setItem() {} },
  URLSearchParams, Event: class { constructor(type) { this.type = type; } },
  setTimeout, clearTimeout, console, addEventListener() {},
};
context.window = context;
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);

const messages = JSON.parse(fs.readFileSync(0, "utf8"));
for (const m of messages) vm.runInContext("onMessage", context)(m);
// the page's turns, in order: what each shows as the reply
const turns = vm.runInContext("[...turns.entries()].map(([id, t]) => " +
  "({turn_id: id, user: t.user.textContent, reply: t.reply.textContent}))", context);
const state = vm.runInContext("vaState", context);
process.stdout.write(JSON.stringify({ turns, shownChunks: state.shownChunks,
                                      discarded: state.discarded }));
