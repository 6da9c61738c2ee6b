// @ts-check
// The phone's copy and its outbox (SYNC.md, "Outbox" and "Pull"), in IndexedDB.
// Used by the pages (through phone.js) and by the service worker's `sync` event, so it touches
// no DOM. One database per account or linked phone ("who"), so a change made by one is never
// sent in the name of another.
//
// Stores:
//   meta    client_id, next mutation number, pull cursor, family, the session's CSRF token
//   outbox  {mutation_id, name, args, client_time}: entries never expire; they leave only when
//           the server says it has applied (or for good refused) them
//   rows    what pull sent: {key: "items:<id>", kind, id, change_seq, ...columns}
//   trips   where the person is in each trip, written with the trip's outbox entries

/**
 * @typedef {object} Entry  one outbox entry, as sent to POST /api/sync/push
 * @property {number} mutation_id  1, 2, 3 … per client_id
 * @property {string} name  "item.mark", "trip.event", …
 * @property {Record<string, any>} args
 * @property {string} client_time  ISO 8601
 */
/**
 * @typedef {object} SyncResult
 * @property {number} kept  entries still waiting
 * @property {string[]} refused  the server's words for each mutation it refused for good
 * @property {number} pulled  rows pulled
 * @property {number} sent  entries the server acknowledged
 * @property {boolean} denied  the server no longer takes this phone's changes
 * @property {boolean} reached  the server answered at all
 */
/** @typedef {(url: string, init?: RequestInit) => Promise<Response>} Fetcher */
/** @typedef {{trips: IDBObjectStore, rows: IDBObjectStore}} LocalStores */

const STORES = ["meta", "outbox", "rows", "trips"];
const PREFIX = "startrip-";

/**
 * @template T
 * @param {IDBRequest<T>} req
 * @returns {Promise<T>}
 */
function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** @param {IDBTransaction} tx @returns {Promise<void>} */
function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

/** @param {string} who @returns {Promise<IDBDatabase>} */
export async function open(who) {
  const req = indexedDB.open(PREFIX + who, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    db.createObjectStore("meta");
    db.createObjectStore("outbox", { keyPath: "mutation_id" });
    const rows = db.createObjectStore("rows", { keyPath: "key" });
    rows.createIndex("kind", "kind");
    db.createObjectStore("trips", { keyPath: "plan_id" });
  };
  const db = await request(req);
  // Logging out deletes the database (remove): a page that has it open lets go, not blocks it.
  db.onversionchange = () => db.close();
  return db;
}

/** Delete the copy and outbox of an account or phone: logging out on a shared computer
 * (main.js). Resolves when deleted, or at once if another page still holds it open (it is
 * deleted when that page closes it).
 * @param {string} who @returns {Promise<void>} */
export function remove(who) {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(PREFIX + who);
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
    req.onblocked = () => resolve();
  });
}

/** Every outbox database on this phone: the service worker sends each one's entries. */
export async function allWho() {
  if (!indexedDB.databases) return [];
  const names = (await indexedDB.databases()).map((info) => info.name || "");
  return names.filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length));
}

/** @param {IDBDatabase} db */
async function meta(db) {
  const tx = db.transaction("meta");
  const store = tx.objectStore("meta");
  const [clientId, cursor, family, csrf] = await Promise.all(
    ["client_id", "cursor", "family", "csrf"].map((key) => request(store.get(key))),
  );
  return { clientId, cursor: cursor || 0, family: family || "", csrf: csrf || "" };
}

/**
 * Start (or reopen) this install's store: a client_id the first time, the page's CSRF token.
 * @param {IDBDatabase} db
 * @param {{family?: string, csrf?: string}} page
 */
export async function start(db, { family, csrf }) {
  const tx = db.transaction("meta", "readwrite");
  const store = tx.objectStore("meta");
  if (!(await request(store.get("client_id")))) {
    store.put(crypto.randomUUID(), "client_id");
    store.put(1, "next");
    store.put(0, "cursor");
  }
  if (family) store.put(family, "family");
  if (csrf) store.put(csrf, "csrf");
  await done(tx);
}

/**
 * One transaction: the change on the phone AND its outbox entry, so neither exists without
 * the other. `write(stores)` gets the open stores (trips, rows) to change the local copy.
 * @param {IDBDatabase} db
 * @param {string} name
 * @param {Record<string, any>} args
 * @param {(stores: LocalStores) => void} [write]
 * @returns {Promise<number>} the entry's mutation_id
 */
export async function change(db, name, args, write) {
  const tx = db.transaction(STORES, "readwrite");
  const metaStore = tx.objectStore("meta");
  const next = (await request(metaStore.get("next"))) || 1;
  metaStore.put(next + 1, "next");
  tx.objectStore("outbox").put({
    mutation_id: next,
    name,
    args,
    client_time: args.client_time || new Date().toISOString(),
  });
  if (write) write({ trips: tx.objectStore("trips"), rows: tx.objectStore("rows") });
  await done(tx);
  return next;
}

/** Has this phone ever pulled (a cursor past 0)? @param {IDBDatabase} db */
export async function cursor(db) {
  return (await meta(db)).cursor;
}

/** @param {IDBDatabase} db @returns {Promise<Entry[]>} in mutation_id order */
export async function outbox(db) {
  return request(db.transaction("outbox").objectStore("outbox").getAll());
}

/** @param {IDBDatabase} db @param {string} kind @returns {Promise<any[]>} */
export async function rowsOf(db, kind) {
  return request(db.transaction("rows").objectStore("rows").index("kind").getAll(kind));
}

/** @param {IDBDatabase} db @param {string} planId @returns {Promise<any>} */
export async function trip(db, planId) {
  return request(db.transaction("trips").objectStore("trips").get(planId));
}

/**
 * Where the person is in a trip, when nothing is sent with it (a question skipped).
 * @param {IDBDatabase} db
 * @param {{plan_id: string}} state
 */
export async function keepTrip(db, state) {
  const tx = db.transaction("trips", "readwrite");
  tx.objectStore("trips").put(state);
  await done(tx);
}

/** @param {IDBDatabase} db @param {number} last */
async function dropUpTo(db, last) {
  const tx = db.transaction("outbox", "readwrite");
  tx.objectStore("outbox").delete(IDBKeyRange.upperBound(last));
  await done(tx);
}

/** The server lost nothing, but this phone's numbers went past a hole (its store was copied
 * back, say): number the unsent entries on from the server's last one.
 * @param {IDBDatabase} db
 * @param {number} last
 */
async function renumber(db, last) {
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const store = tx.objectStore("outbox");
  const entries = await request(store.getAll());
  store.clear();
  entries.forEach((entry, index) => store.put({ ...entry, mutation_id: last + 1 + index }));
  tx.objectStore("meta").put(last + 1 + entries.length, "next");
  await done(tx);
}

/**
 * The rows pull sent, and the rows deleted for good on the server since the cursor (a person
 * and everything of theirs, pwa/family/deletion.py): their copy goes from this phone.
 * @param {IDBDatabase} db
 * @param {Record<string, {id: string}[]>} rows
 * @param {number} cursor
 * @param {{kind: string, id: string}[]} [removed]
 */
async function keepRows(db, rows, cursor, removed = []) {
  const tx = db.transaction(["rows", "meta"], "readwrite");
  const store = tx.objectStore("rows");
  for (const [kind, list] of Object.entries(rows)) {
    for (const row of list) store.put({ ...row, kind, key: `${kind}:${row.id}` });
  }
  for (const gone of removed) store.delete(`${gone.kind}:${gone.id}`);
  tx.objectStore("meta").put(cursor, "cursor");
  await done(tx);
}

/**
 * The server no longer shows this install the family: a caregiver whose invitation ended, a
 * phone that was unlinked (or whose person was deleted, which ends its session: a phone's
 * session never ends otherwise), a family deleted. What it kept of the family goes; the
 * outbox stays, so the page can still say what was not sent.
 * @param {IDBDatabase} db
 */
async function forgetRows(db) {
  const tx = db.transaction(["rows", "trips", "meta"], "readwrite");
  tx.objectStore("rows").clear();
  tx.objectStore("trips").clear();
  tx.objectStore("meta").put(0, "cursor");
  await done(tx);
}

/** Does a refused pull mean the family is gone for this install? 403 (not allowed any
 * more) and 404 (no such family for it) do; 401 does for a linked phone only, as an account
 * just logs in again. Every other refusal means "not now" and keeps everything: 428 above all,
 * a guardian asked to agree to a new privacy notice first (pwa/accounts/consent.py), who is
 * still allowed and whose phone carries on from its copy once they agree.
 * @param {IDBDatabase} db @param {number} status */
function shutOut(db, status) {
  return status === 403 || status === 404 || (status === 401 && db.name.startsWith(`${PREFIX}device-`));
}

/**
 * Send the outbox, then pull what changed. Returns {kept, refused: [error], pulled, sent}:
 * kept = entries still waiting because the server could not be reached or could not take them.
 * @param {IDBDatabase} db
 * @param {Fetcher} [fetcher]  the network; tests give their own
 * @param {{pull?: boolean}} [options]  pull: false only sends (before logging out)
 * @returns {Promise<SyncResult>}
 */
export async function sync(db, fetcher = fetch, { pull = true } = {}) {
  // denied: the server no longer takes this phone's changes (unlinked, or logged out).
  /** @type {SyncResult} */
  const result = { kept: 0, refused: [], pulled: 0, sent: 0, denied: false, reached: false };
  const info = await meta(db);
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": info.csrf };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const entries = await outbox(db);
    if (!entries.length) break;
    let response;
    try {
      response = await fetcher("/api/sync/push", {
        method: "POST",
        headers,
        credentials: "same-origin",
        body: JSON.stringify({ client_id: info.clientId, family_id: info.family, mutations: entries }),
      });
    } catch {
      result.kept = entries.length;
      return result;
    }
    if (response.status === 409) {
      // A hole before these entries: the server says where it is; send again from there.
      const body = await response.json();
      await dropUpTo(db, body.last_mutation_id);
      const left = await outbox(db);
      if (left.length && left[0].mutation_id > body.last_mutation_id + 1) {
        await renumber(db, body.last_mutation_id);
      }
      continue;
    }
    result.reached = true;
    if (!response.ok) {
      result.kept = entries.length;
      result.denied = response.status === 401 || response.status === 403;
      // Refused for good, perhaps because the family is gone for this install: the pull below
      // says, and drops what was kept of it if so (forgetRows).
      if (!shutOut(db, response.status)) return result;
      break;
    }
    const body = await response.json();
    for (const each of body.results || []) {
      if (each.status === "refused") result.refused.push(each.error);
    }
    result.sent += entries.filter((entry) => entry.mutation_id <= body.last_mutation_id).length;
    await dropUpTo(db, body.last_mutation_id);
  }
  // Pull: the server's rows win for everything it has seen; the outbox is drawn on top.
  for (let page = 0; pull && page < 100; page += 1) {
    const { cursor } = await meta(db);
    const query = new URLSearchParams({ client_id: info.clientId, cursor, family_id: info.family });
    let response;
    try {
      response = await fetcher(`/api/sync/pull?${query}`, { credentials: "same-origin" });
    } catch {
      break;
    }
    result.reached = true;
    if (!response.ok) {
      result.denied = response.status === 401 || response.status === 403;
      if (shutOut(db, response.status)) await forgetRows(db);
      break;
    }
    const body = await response.json();
    await keepRows(db, body.rows, body.cursor, body.removed);
    await dropUpTo(db, body.last_mutation_id);
    result.pulled += Object.values(body.rows).reduce((sum, list) => sum + list.length, 0);
    if (!body.more) break;
  }
  result.kept = (await outbox(db)).length;
  return result;
}
