// fetch() for todo-api: adds the bearer token, fetches a new token once on 401, and waits
// out 429 and 503 (Retry-After) for requests that are safe to send again.

/** Returns a Better Auth JWT; `forceRefresh` asks for a new one instead of a cached one. */
export type TokenSource = (forceRefresh: boolean) => Promise<string>;

export interface ApiFetchOptions {
  /** How many times a 429 or 503 is retried (then that response is returned). */
  maxRetries?: number;
  /** The longest wait, in seconds, for one retry: a longer Retry-After is returned at once. */
  maxWaitSeconds?: number;
}

export function createApiFetch(
  baseUrl: string,
  token: TokenSource,
  { maxRetries = 3, maxWaitSeconds = 30 }: ApiFetchOptions = {},
) {
  return async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    // new Headers() reads every form a caller may pass (a Headers object, an array of
    // pairs, a plain object); `{ ...init.headers }` would drop them all for the first two.
    const headers = new Headers(init.headers);
    const send = async (forceRefresh: boolean) => {
      headers.set("Authorization", `Bearer ${await token(forceRefresh)}`);
      return fetch(`${baseUrl}${path}`, { ...init, headers });
    };

    let response = await send(false);
    if (response.status === 401) {
      // Expired, or signed by a key rotated in a moment ago: one new token, one retry.
      // A second 401 means the session is gone: the caller signs the user out.
      await response.body?.cancel();
      response = await send(true);
    }
    for (let attempt = 1; attempt <= maxRetries && isBusy(response); attempt++) {
      // 503: the database or Better Auth's keys are out of reach for a moment; 429: this
      // user's rate limit. Neither is a sign-out. Only a request that cannot do its work
      // twice is sent again: a 503 may come after the database did the work.
      if (!canResend(init, headers)) break;
      const seconds = retryAfterSeconds(response) ?? 2 ** (attempt - 1);
      if (seconds > maxWaitSeconds) break;
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      response = await send(false);
    }
    return response;
  };
}

function isBusy(response: Response): boolean {
  return response.status === 429 || response.status === 503;
}

/** Whether sending the request again cannot do its work twice. */
function canResend(init: RequestInit, headers: Headers): boolean {
  if (init.body instanceof ReadableStream) return false; // a stream can be read only once
  const method = (init.method ?? "GET").toUpperCase();
  if (["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].includes(method)) return true;
  if (method === "POST") return headers.has("Idempotency-Key"); // a retry replays, never repeats
  if (method === "PATCH") return headers.has("If-Match"); // applied once: the retry gets 412
  return false;
}

/** Retry-After as seconds: a number of seconds or an HTTP date; null when absent. */
function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get("Retry-After");
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}
