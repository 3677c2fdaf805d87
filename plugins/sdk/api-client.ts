import type { z } from "zod";
import { apiError } from "../../protocol/rest.ts";

/**
 * A failed `/api` call. `status` is the HTTP status, or 0 when the node could not be reached;
 * `field` names the offending key when the server said which one.
 */
export class ApiRequestError extends Error {
  override readonly name = "ApiRequestError";
  readonly status: number;
  readonly field: string | undefined;

  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/** The calls a pane makes to its node's REST API; paths start at `/api`. */
export interface ApiClient {
  get<T>(path: string, schema?: z.ZodType<T>): Promise<T>;
  put<T>(path: string, body: unknown, schema?: z.ZodType<T>): Promise<T>;
  post<T>(path: string, body: unknown, schema?: z.ZodType<T>): Promise<T>;
  del<T>(path: string, schema?: z.ZodType<T>): Promise<T>;
}

async function request<T>(method: string, path: string, body: unknown, schema?: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiRequestError(0, "Cannot reach this weft node. Is it still running?");
  }
  const text = await response.text().catch(() => "");
  const json = parseJson(text);
  if (!response.ok) {
    const parsed = apiError.safeParse(json);
    if (parsed.success) throw new ApiRequestError(response.status, parsed.data.error, parsed.data.field);
    throw new ApiRequestError(response.status, `${method} ${path} failed with HTTP ${response.status}`);
  }
  if (!schema) return json as T;
  // Responses are checked at the edge like any other input, so a pane never renders a surprise shape.
  const checked = schema.safeParse(json);
  if (!checked.success) {
    throw new ApiRequestError(response.status, `${method} ${path} returned an unexpected response`);
  }
  return checked.data;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `GET path`; the body is checked against `schema` when one is given. */
export function get<T>(path: string, schema?: z.ZodType<T>): Promise<T> {
  return request("GET", path, undefined, schema);
}

/** `PUT path` with a JSON body. */
export function put<T>(path: string, body: unknown, schema?: z.ZodType<T>): Promise<T> {
  return request("PUT", path, body, schema);
}

/** `POST path` with a JSON body. */
export function post<T>(path: string, body: unknown, schema?: z.ZodType<T>): Promise<T> {
  return request("POST", path, body, schema);
}

/** `DELETE path`. */
export function del<T>(path: string, schema?: z.ZodType<T>): Promise<T> {
  return request("DELETE", path, undefined, schema);
}

/** The default client, talking to the node that served this page. */
export const api: ApiClient = { get, put, post, del };
