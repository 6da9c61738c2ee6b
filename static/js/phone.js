// What the person's screens (the shopping view and trip mode) share: the page's data, reading
// aloud, and a queue of changes made on the phone that the server has not confirmed yet. Entries are kept in localStorage and never expire; they are sent
// in order, one at a time, and leave the queue only when the server has taken them or refused
// them for good. The offline issue replaces the storage with IndexedDB and the endpoint with
// /api/sync/push; the pages using the queue stay as they are.

/** Read the JSON a template put in <script type="application/json" id="…">. */
export function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

/** Speak a text in the page's language, only ever because the person tapped a button. */
export function say(text) {
  if (!("speechSynthesis" in window)) return;
  window.speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = document.documentElement.lang.startsWith("zh") ? "zh-CN" : "en-GB";
  window.speechSynthesis.speak(utterance);
}

const csrfToken = () => document.querySelector('input[name="csrf_token"]')?.value || "";

/**
 * @param {{key: string, url: (entry: object) => string, onKept?: () => void,
 *          onSent?: (count: number) => void, onRefused?: (error: string) => void}} options
 */
export function createQueue({ key, url, onKept, onSent, onRefused }) {
  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(key)) || [];
    } catch {
      return [];
    }
  };
  const save = (entries) => localStorage.setItem(key, JSON.stringify(entries));
  let sending = false;

  async function send() {
    if (sending) return;
    sending = true;
    let sent = 0;
    try {
      for (;;) {
        const [next] = load();
        if (!next) break;
        let response;
        try {
          response = await fetch(url(next), {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
            body: JSON.stringify(next),
            credentials: "same-origin",
          });
        } catch {
          onKept?.();
          return;
        }
        // The server cannot take it now (down, the page is old, or an earlier change is still
        // on its way): keep it and try again later.
        if (response.status >= 500 || response.status === 403 || response.status === 409) {
          onKept?.();
          return;
        }
        save(load().filter((entry) => entry.id !== next.id));
        sent += 1;
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          if (body.error) onRefused?.(body.error);
        }
      }
      if (sent) onSent?.(sent);
    } finally {
      sending = false;
    }
  }

  window.addEventListener("online", send);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") send();
  });

  return {
    pending: load,
    add(entry) {
      save([...load(), entry]);
      send();
    },
    send,
  };
}
