// Rows deleted for good on the server (a person and everything of theirs, pwa/family/deletion.py)
// leave the phone's copy too (static/js/outbox.js): pull's "removed" drops each one, and a pull
// the server refuses because the family is gone for this install drops everything kept of it.
// Run by `node --test tests/js/` (make check-js) on fake-indexeddb, as outbox.test.mjs is.

import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import * as store from "../../static/js/outbox.js";

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A server that answers each pull with the next of `answers` ({status, body}). */
function pulls(answers) {
  const asked = [];
  const fetcher = async (url) => {
    asked.push(url);
    const { status = 200, body = {} } = answers.shift() || {};
    return json(status, body);
  };
  return { fetcher, asked };
}

function page(rows, cursor, removed = []) {
  return { body: { rows, removed, cursor, last_mutation_id: 0, more: false } };
}

async function phone(who = `test-${randomUUID()}`) {
  const db = await store.open(who);
  await store.start(db, { family: randomUUID(), csrf: "token" });
  return db;
}

async function ids(db, kind) {
  return (await store.rowsOf(db, kind)).map((row) => row.id).sort();
}

const item = (id, list) => ({ id, list_id: list, label: `item ${id}`, change_seq: 1, deleted_at: null });

test("rows the server removed for good leave the phone's copy at the next pull", async () => {
  const db = await phone();
  const { fetcher } = pulls([
    page({ lists: [{ id: "L1", name: "Ming's list" }, { id: "L2", name: "Ours" }], items: [item("a", "L1"), item("b", "L2")] }, 5),
    page({}, 9, [
      { kind: "lists", id: "L1", change_seq: 7 },
      { kind: "items", id: "a", change_seq: 8 },
      // A row this phone never had (another person's): nothing to drop, nothing breaks.
      { kind: "plans", id: "P9", change_seq: 9 },
    ]),
  ]);
  await store.sync(db, fetcher);
  assert.deepEqual(await ids(db, "lists"), ["L1", "L2"]);
  assert.deepEqual(await ids(db, "items"), ["a", "b"]);
  await store.sync(db, fetcher);
  assert.deepEqual(await ids(db, "lists"), ["L2"]);
  assert.deepEqual(await ids(db, "items"), ["b"]);
  assert.equal(await store.cursor(db), 9);
  db.close();
});

test("a family gone for this install (404, 403) drops every row kept of it, not the outbox", async () => {
  for (const status of [404, 403]) {
    const db = await phone();
    const { fetcher } = pulls([page({ items: [item("a", "L1")] }, 3), { status, body: { error: "x" } }]);
    await store.sync(db, fetcher);
    await store.keepTrip(db, { plan_id: "P1", step: 2 });
    await store.change(db, "item.mark", { id: randomUUID(), item_id: "a", state: "ticked" });
    // The push is refused the same way; the pull then says the family is gone.
    const refused = pulls([{ status, body: {} }, { status, body: {} }]);
    const result = await store.sync(db, refused.fetcher);
    assert.equal(refused.asked.length, 2, "after a refused push, the pull still asks");
    assert.deepEqual(await ids(db, "items"), [], `status ${status}`);
    assert.equal(await store.trip(db, "P1"), undefined);
    assert.equal(await store.cursor(db), 0);
    assert.equal(result.kept, 1, "what was not sent is still counted");
    assert.equal((await store.outbox(db)).length, 1);
    db.close();
  }
});

test("401 drops a linked phone's copy (its session ends only when unlinked), not an account's", async () => {
  const phoneDb = await phone(`device-${randomUUID()}`);
  const accountDb = await phone(`account-${randomUUID()}`);
  for (const db of [phoneDb, accountDb]) {
    await store.sync(db, pulls([page({ items: [item("a", "L1")] }, 3)]).fetcher);
    await store.sync(db, pulls([{ status: 401, body: { error: "Log in first." } }]).fetcher);
  }
  assert.deepEqual(await ids(phoneDb, "items"), []);
  // An account's session ends after 30 days: it logs in again and goes on from its copy.
  assert.deepEqual(await ids(accountDb, "items"), ["a"]);
  phoneDb.close();
  accountDb.close();
});
