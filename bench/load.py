"""wrk scenarios: Lua scripts with tokens and task ids, and parsing wrk's report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

LUA_HEADER = """
local tokens = {%(tokens)s}
local tasks = {%(tasks)s}
local counter = 0
math.randomseed(%(seed)d)
local function pick(list) return list[math.random(#list)] end
local function auth(i) return "Bearer " .. tokens[i] end
"""

# Each scenario builds one request per call. `tasks` holds "token_index:task_id" pairs so an
# update or get always goes to a task that the token's user owns.
SCENARIOS = {
    "list": """
request = function()
  local i = math.random(#tokens)
  return wrk.format("GET", "/api/tasks?limit=50", {["Authorization"] = auth(i)})
end
""",
    "create": """
request = function()
  counter = counter + 1
  local body = '{"title":"Benchmark task ' .. counter .. '","due_date":"2026-12-24"}'
  return wrk.format("POST", "/api/tasks",
    {["Authorization"] = auth(math.random(#tokens)), ["Content-Type"] = "application/json"}, body)
end
""",
    "update": """
request = function()
  counter = counter + 1
  local pair = pick(tasks)
  local i, id = pair:match("(%d+):(.+)")
  local body = '{"title":"Renamed ' .. counter .. '"}'
  return wrk.format("PATCH", "/api/tasks/" .. id,
    {["Authorization"] = auth(tonumber(i)), ["Content-Type"] = "application/json"}, body)
end
""",
    "mixed": """
request = function()
  counter = counter + 1
  local roll = math.random(100)
  local pair = pick(tasks)
  local i, id = pair:match("(%d+):(.+)")
  local headers = {["Authorization"] = auth(tonumber(i)), ["Content-Type"] = "application/json"}
  if roll <= 70 then
    return wrk.format("GET", "/api/tasks?limit=50", headers)
  elseif roll <= 85 then
    return wrk.format("GET", "/api/tasks/" .. id, headers)
  elseif roll <= 95 then
    return wrk.format("PATCH", "/api/tasks/" .. id, headers, '{"title":"Mixed ' .. counter .. '"}')
  else
    return wrk.format("POST", "/api/tasks", headers, '{"title":"Mixed new ' .. counter .. '"}')
  end
end
""",
}
SCENARIOS["list-1m"] = SCENARIOS["list"]


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def write_script(
    path: Path, scenario: str, tokens: list[str], tasks: list[tuple[int, str]], seed: int
) -> Path:
    header = LUA_HEADER % {
        "tokens": ",".join(f'"{t}"' for t in tokens),
        "tasks": ",".join(f'"{i + 1}:{task_id}"' for i, task_id in tasks),
        "seed": seed,
    }
    path.write_text(header + SCENARIOS[scenario], encoding="utf-8")
    return path


def run_wrk(
    url: str, script: Path, *, seconds: int, connections: int, threads: int = 1
) -> WrkResult:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {percentile}% latency in wrk output:\n{output}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
        requests=int(total.group(1)),
        errors=errors,
    )
