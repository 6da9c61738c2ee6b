// A guardian asked to agree to a new privacy notice (pwa/accounts/consent.py, ConsentGate) is
// still allowed: the API answers 428 {"reason": "privacy_notice"}, and the phone's outbox
// (static/js/outbox.js) must read it as "not now", never as "shut out" (403/404), which drops
// the copy of the family. An adult who plans for themselves would otherwise lose their lists
// and where they are in a trip the moment a new notice came out.
// Run by `node --test tests/js/*.test.mjs` (make check-js) on fake-indexeddb.

import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import * as store from "../../static/js/outbox.js";

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A server that answers each request with the next of `answers` ({status, body}). */
function answers(list) {
  const asked = [];
  const fetcher = async (url) => {
    asked.push(url);
    const { status = 200, body = {} } = list.shift() || {};
    return json(status, body);
  };
  return { fetcher, asked };
}

const item = (id) => ({ id, list_id: "L1", label: `item ${id}`, change_seq: 1, deleted_at: null });
const ASK = { status: 428, body: { error: "Read the new privacy notice and agree to it first.", reason: "privacy_notice" } };

async function ids(db, kind) {
  return (await store.rowsOf(db, kind)).map((row) => row.id).sort();
}

test("428 (agree to the new notice first) keeps the copy, the trip and the outbox", async () => {
  const db = await store.open(`account-${randomUUID()}`);
  await store.start(db, { family: randomUUID(), csrf: "token" });
  const first = answers([{ body: { rows: { items: [item("a"), item("b")] }, removed: [], cursor: 4, last_mutation_id: 0, more: false } }]);
  await store.sync(db, first.fetcher);
  await store.keepTrip(db, { plan_id: "P1", step: 3 });
  await store.change(db, "item.mark", { id: randomUUID(), item_id: "a", state: "ticked" });

  // The push is asked to wait: nothing else is asked, nothing is dropped.
  const pushed = answers([ASK, ASK]);
  const result = await store.sync(db, pushed.fetcher);
  assert.equal(result.denied, false, "not shut out: the page does not say the phone was unlinked");
  assert.equal(result.kept, 1);
  assert.deepEqual(await ids(db, "items"), ["a", "b"]);
  assert.deepEqual(await store.trip(db, "P1"), { plan_id: "P1", step: 3 });
  assert.equal(await store.cursor(db), 4);

  // With nothing to send, the pull is asked to wait the same way: the copy stays.
  const empty = await store.open(`account-${randomUUID()}`);
  await store.start(empty, { family: randomUUID(), csrf: "token" });
  await store.sync(empty, answers([{ body: { rows: { items: [item("c")] }, removed: [], cursor: 2, last_mutation_id: 0, more: false } }]).fetcher);
  await store.keepTrip(empty, { plan_id: "P2", step: 1 });
  const pulled = answers([ASK]);
  const waited = await store.sync(empty, pulled.fetcher);
  assert.equal(pulled.asked.length, 1);
  assert.ok(pulled.asked[0].startsWith("/api/sync/pull"));
  assert.equal(waited.denied, false);
  assert.deepEqual(await ids(empty, "items"), ["c"]);
  assert.deepEqual(await store.trip(empty, "P2"), { plan_id: "P2", step: 1 });
  assert.equal(await store.cursor(empty), 2);

  // Once the guardian has agreed, the waiting change goes and the copy carries on.
  const agreed = answers([
    { body: { last_mutation_id: 1, results: [{ mutation_id: 1, status: "applied" }] } },
    { body: { rows: {}, removed: [], cursor: 5, last_mutation_id: 1, more: false } },
  ]);
  const after = await store.sync(db, agreed.fetcher);
  assert.equal(after.sent, 1);
  assert.equal(after.kept, 0);
  assert.deepEqual(await ids(db, "items"), ["a", "b"]);
  db.close();
  empty.close();
});
