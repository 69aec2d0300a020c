// What a Next.js frontend does with the generated client, against a running server:
// create a task with only a title (on both URL shapes), list, patch with If-Match (a stale
// one refused with a typed problem), delete. TODO_API_URL, TODO_API_TOKEN and TODO_API_USER
// (the token's `sub`) say where and as whom. Any surprise throws, so node exits non-zero.
import createClient from "openapi-fetch";

import type { components, paths } from "./schema.js";

type Task = components["schemas"]["TaskOut"];
type NewTask = components["schemas"]["TaskCreate"];
type Problem = components["schemas"]["Problem"];

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`smoke: ${what}`);
}

const userId = setting("TODO_API_USER");
const api = createClient<paths>({
  baseUrl: setting("TODO_API_URL"),
  headers: { Authorization: `Bearer ${setting("TODO_API_TOKEN")}` },
});

// Only a title: every other field of a new task has a default the server fills in.
const draft: NewTask = { title: "Buy milk" };
const created = await api.POST("/api/tasks", { body: draft });
check(created.response.status === 201, `create answered ${created.response.status}`);
check(created.data !== undefined, "create returned no task");
const task: Task = created.data;
check(task.title === "Buy milk" && task.user_id === userId, "create returned another task");
check(task.completed === false && task.priority === "none", "create's defaults");
check(task.tags.length === 0 && task.description === null, "create's defaults");
const etag = created.response.headers.get("ETag");
check(etag !== null, "create sent no ETag");

const compat = await api.POST("/api/{user_id}/tasks", {
  params: { path: { user_id: userId } },
  body: { title: "Call the plumber" },
});
check(compat.response.status === 201, `compatCreateTask answered ${compat.response.status}`);
check(compat.data?.completed === false, "compatCreateTask's defaults");

const listed = await api.GET("/api/tasks", {
  params: { query: { status: "pending", sort: "title", limit: 50 } },
});
check(listed.data !== undefined, `list answered ${listed.response.status}`);
const titles = listed.data.map((each: Task) => each.title);
check(
  titles.join("|") === "Buy milk|Call the plumber",
  `list returned ${JSON.stringify(titles)}`,
);

const patched = await api.PATCH("/api/tasks/{task_id}", {
  params: { path: { task_id: task.id }, header: { "if-match": etag } },
  body: { completed: true, tags: ["errands"] },
});
check(patched.data !== undefined, `patch answered ${patched.response.status}`);
check(patched.data.completed && patched.data.completed_at !== null, "patch did not complete");
const newEtag = patched.response.headers.get("ETag");
check(newEtag !== null && newEtag !== etag, "patch did not change the ETag");

// The first ETag is stale now: the server refuses, with a problem the client's types know.
const stale = await api.PATCH("/api/tasks/{task_id}", {
  params: { path: { task_id: task.id }, header: { "if-match": etag } },
  body: { title: "Buy oat milk" },
});
check(stale.response.status === 412, `a stale If-Match answered ${stale.response.status}`);
const problem: Problem | undefined = stale.error;
check(problem?.status === 412 && typeof problem.title === "string", "412 without a problem");

for (const id of [task.id, compat.data.id]) {
  const deleted = await api.DELETE("/api/tasks/{task_id}", {
    params: { path: { task_id: id }, header: id === task.id ? { "if-match": newEtag } : {} },
  });
  check(deleted.response.status === 204, `delete answered ${deleted.response.status}`);
}
const gone = await api.GET("/api/tasks/{task_id}", { params: { path: { task_id: task.id } } });
check(gone.response.status === 404 && gone.error?.status === 404, "the task is still there");

console.log("smoke: ok");
