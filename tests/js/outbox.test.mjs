// The outbox's client logic (static/js/outbox.js), run by node's own test runner
// (`node --test tests/js/`, `make check-js`). outbox.js keeps its entries in IndexedDB: here that
// is fake-indexeddb, an IndexedDB held in memory, so the code under test is the code the phone
// runs. The network is outbox.sync's `fetcher` argument: a stand-in for the server that follows
// POST /api/sync/push and GET /api/sync/pull as pwa/sync does (see ../shared/design/SYNC.md,
// "Push"): each client's numbered mutations are applied once and in order; numbers already
// applied are skipped; a gap answers 409 with the server's last number and applies nothing; a
// refused mutation is recorded with its reason and still moves the server's last number on.

import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import * as store from "../../static/js/outbox.js";

/** The server's side of one install (client_id), as pwa/sync's apply() keeps it. */
class Server {
  constructor() {
    this.last = 0;
    /** @type {{mutation_id: number, name: string, args: any}[]} every mutation applied, in order */
    this.applied = [];
    /** @type {number[][]} the mutation ids of every push, in the order they came */
    this.pushes = [];
    this.pulls = 0;
    /** @type {(mutation: any) => string} a business error for a mutation, or "" to apply it */
    this.refuse = () => "";
  }

  push(body) {
    const mutations = [...body.mutations].sort((a, b) => a.mutation_id - b.mutation_id);
    this.pushes.push(mutations.map((m) => m.mutation_id));
    const fresh = mutations.filter((m) => m.mutation_id > this.last);
    const expected = fresh.map((_, index) => this.last + 1 + index);
    if (JSON.stringify(fresh.map((m) => m.mutation_id)) !== JSON.stringify(expected)) {
      return json(409, { last_mutation_id: this.last, error: "gap" });
    }
    const results = mutations
      .filter((m) => m.mutation_id <= this.last)
      .map((m) => ({ mutation_id: m.mutation_id, status: "skipped" }));
    for (const mutation of fresh) {
      const error = this.refuse(mutation);
      if (error) {
        results.push({ mutation_id: mutation.mutation_id, status: "refused", error });
      } else {
        this.applied.push({ mutation_id: mutation.mutation_id, name: mutation.name, args: mutation.args });
        results.push({ mutation_id: mutation.mutation_id, status: "applied" });
      }
      this.last = mutation.mutation_id;
    }
    return json(200, { last_mutation_id: this.last, results });
  }

  pull() {
    this.pulls += 1;
    return json(200, { rows: {}, cursor: 0, last_mutation_id: this.last, more: false });
  }

  /**
   * The fetch function outbox.sync is given. `lose(kind)` decides, per request, whether the
   * network fails: "request" (the server never sees it) or "answer" (the server commits, the
   * phone never hears back).
   */
  fetcher(lose = () => "") {
    return async (url, init = {}) => {
      const kind = url === "/api/sync/push" ? "push" : "pull";
      const lost = lose(kind);
      if (lost === "request") throw new TypeError("Failed to fetch");
      const response = kind === "push" ? this.push(JSON.parse(init.body)) : this.pull();
      if (lost === "answer") throw new TypeError("Failed to fetch");
      return response;
    };
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A phone's own store, new for each test, with `count` changes waiting in its outbox. */
async function phone(count = 0) {
  const db = await store.open(`test-${randomUUID()}`);
  await store.start(db, { family: randomUUID(), csrf: "token" });
  for (let n = 1; n <= count; n += 1) await tick(db, `item ${n}`);
  return db;
}

function tick(db, itemId) {
  return store.change(db, "item.mark", { id: randomUUID(), item_id: itemId, state: "ticked" });
}

async function waiting(db) {
  return (await store.outbox(db)).map((entry) => entry.mutation_id);
}

/** What the server holds, by what the phone asked for (the item), in the order applied. */
function appliedItems(server) {
  return server.applied.map((m) => m.args.item_id);
}

test("a gap answer (409) makes the phone send again from the server's last + 1", async () => {
  const db = await phone(2);
  const server = new Server();
  await store.sync(db, server.fetcher());
  assert.equal(server.last, 2);
  // The phone's numbers went past a hole (its store was copied back, say): its next changes
  // are numbered 5 and 6 while the server's last is 2.
  const tx = db.transaction("meta", "readwrite");
  tx.objectStore("meta").put(5, "next");
  await new Promise((resolve) => (tx.oncomplete = resolve));
  await tick(db, "item 3");
  await tick(db, "item 4");
  assert.deepEqual(await waiting(db), [5, 6]);

  const result = await store.sync(db, server.fetcher());

  // The first try is refused whole with 409; the phone numbers its entries on from 2 + 1 and
  // sends them again, in the same sync, and the server applies them.
  assert.deepEqual(server.pushes.slice(1), [[5, 6], [3, 4]]);
  assert.equal(server.last, 4);
  assert.deepEqual(appliedItems(server), ["item 1", "item 2", "item 3", "item 4"]);
  assert.deepEqual(
    server.applied.map((m) => m.mutation_id),
    [1, 2, 3, 4],
  );
  assert.equal(result.kept, 0);
  assert.equal(result.sent, 2);
  assert.deepEqual(await waiting(db), []);
  // The phone's numbering goes on from there: its next change is 5, which the server applies.
  assert.equal(await tick(db, "item 5"), 5);
  await store.sync(db, server.fetcher());
  assert.deepEqual(appliedItems(server).slice(-1), ["item 5"]);
  assert.equal(server.last, 5);
});

test("after a gap answer the renumbered entries wait, unchanged, if the network goes", async () => {
  const db = await phone();
  const server = new Server();
  server.last = 7; // the server has this install's changes up to 7 …
  const tx = db.transaction("meta", "readwrite");
  tx.objectStore("meta").put(10, "next"); // … and the phone numbers its next from 10
  await new Promise((resolve) => (tx.oncomplete = resolve));
  await tick(db, "a");
  await tick(db, "b");
  // The 409 comes back; the push that follows it is lost on the way.
  let pushes = 0;
  const result = await store.sync(
    db,
    server.fetcher((kind) => (kind === "push" && ++pushes === 2 ? "request" : "")),
  );
  assert.equal(result.kept, 2);
  const entries = await store.outbox(db);
  assert.deepEqual(
    entries.map((e) => [e.mutation_id, e.args.item_id]),
    [[8, "a"], [9, "b"]],
  );
  await store.sync(db, server.fetcher());
  assert.deepEqual(appliedItems(server), ["a", "b"]);
  assert.equal(server.last, 9);
  assert.deepEqual(await waiting(db), []);
});

test("a lost answer: the entries stay, the next sync sends them once more, nothing twice", async () => {
  const db = await phone(3);
  const server = new Server();

  // The server applies 1–3 and commits, but its answer never reaches the phone.
  const first = await store.sync(db, server.fetcher((kind) => (kind === "push" ? "answer" : "")));
  assert.equal(first.kept, 3);
  assert.equal(first.sent, 0);
  assert.equal(first.reached, false);
  assert.deepEqual(server.pushes, [[1, 2, 3]], "one try in this sync, not a loop of them");
  assert.deepEqual(await waiting(db), [1, 2, 3], "nothing is dropped before the server says so");

  // Another change while offline, then the next sync (the 30-second timer, `online`, …).
  await tick(db, "item 4");
  const second = await store.sync(db, server.fetcher());

  // The same numbers are sent again, once; the server skips 1–3 and applies only 4.
  assert.deepEqual(server.pushes, [[1, 2, 3], [1, 2, 3, 4]]);
  assert.deepEqual(appliedItems(server), ["item 1", "item 2", "item 3", "item 4"]);
  assert.deepEqual(
    server.applied.map((m) => m.mutation_id),
    [1, 2, 3, 4],
  );
  assert.equal(second.kept, 0);
  assert.equal(second.sent, 4);
  assert.deepEqual(await waiting(db), []);
});

test("a lost request: nothing reached the server, the next sync applies everything once", async () => {
  const db = await phone(2);
  const server = new Server();
  const first = await store.sync(db, server.fetcher(() => "request"));
  assert.equal(first.kept, 2);
  assert.deepEqual(server.applied, []);
  assert.deepEqual(await waiting(db), [1, 2]);

  await store.sync(db, server.fetcher());
  assert.deepEqual(server.pushes, [[1, 2]]);
  assert.deepEqual(appliedItems(server), ["item 1", "item 2"]);
  assert.deepEqual(await waiting(db), []);
});

test("a refused mutation is reported and leaves the queue; the rest apply, numbers go on", async () => {
  const db = await phone(3);
  const server = new Server();
  server.refuse = (m) => (m.args.item_id === "item 2" ? "This item was deleted." : "");

  const result = await store.sync(db, server.fetcher());

  assert.deepEqual(result.refused, ["This item was deleted."]);
  assert.deepEqual(appliedItems(server), ["item 1", "item 3"]);
  assert.equal(server.last, 3, "the refusal moves the server's last number on");
  assert.deepEqual(await waiting(db), [], "the refused entry is not sent again");
  assert.equal(result.kept, 0);
  assert.deepEqual(server.pushes, [[1, 2, 3]]);

  // No renumbering after a refusal: the phone's next change is 4, and only it is sent.
  assert.equal(await tick(db, "item 4"), 4);
  const next = await store.sync(db, server.fetcher());
  assert.deepEqual(server.pushes, [[1, 2, 3], [4]]);
  assert.deepEqual(next.refused, []);
  assert.deepEqual(appliedItems(server), ["item 1", "item 3", "item 4"]);
});

test("a push the server will not take (403) keeps every entry and says so", async () => {
  const db = await phone(2);
  const result = await store.sync(db, async () => json(403, { error: "Not allowed" }));
  assert.equal(result.denied, true);
  assert.equal(result.kept, 2);
  assert.deepEqual(await waiting(db), [1, 2]);
});

test("before logging out the phone only sends: nothing is pulled into a copy about to go", async () => {
  const db = await phone(2);
  const server = new Server();
  const result = await store.sync(db, server.fetcher(), { pull: false });
  assert.deepEqual(appliedItems(server), ["item 1", "item 2"]);
  assert.equal(server.pulls, 0);
  assert.equal(result.kept, 0);
  // Unreachable: the entries stay and are counted, for the "not sent yet" warning.
  await tick(db, "item 3");
  const offline = await store.sync(db, server.fetcher(() => "request"), { pull: false });
  assert.equal(offline.kept, 1);
  assert.deepEqual(await waiting(db), [3]);
});

test("logging out deletes the copy even while a page still has it open", { timeout: 5000 }, async () => {
  const who = `test-${randomUUID()}`;
  const open = await store.open(who);
  await store.start(open, { family: randomUUID(), csrf: "token" });
  await tick(open, "item 1");
  await store.remove(who);
  // The open page let go (versionchange), so the database really went: opened again it is
  // new, with nothing waiting.
  assert.ok(!(await store.allWho()).includes(who));
  const again = await store.open(who);
  assert.deepEqual(await waiting(again), []);
  again.close();
});
