// CPU time of the runtime's processes, from /proc: wrangler's node, the dev proxy's workerd (the
// one listening on the public port) and the workerd that runs the Workers.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

/** `root` and every process under it. */
export function descendants(root) {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...all.filter((pid) => parentOf(pid) === out[i]));
  return out;
}

/** user + sys CPU of `pid` in milliseconds (its own threads, not its children). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Listening TCP sockets on this machine: inode → port. */
function listeningSockets() {
  const sockets = new Map();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") sockets.set(cols[9], parseInt(cols[1].split(":").at(-1), 16));
    }
  }
  return sockets;
}

/** The ports `pid` listens on. */
export function listeningPorts(pid) {
  const sockets = listeningSockets();
  const ports = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (m && sockets.has(m[1])) ports.push(sockets.get(m[1]));
      } catch {}
    }
  } catch {}
  return ports;
}

/** Classifies the process tree under `rootPid` once; `sample()` then reads their CPU. */
export function runtimeProcesses(rootPid, publicPort) {
  const roles = { node: [], proxy: [], workers: [] };
  for (const pid of descendants(rootPid)) {
    let comm = "";
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      continue;
    }
    if (comm === "workerd") roles[listeningPorts(pid).includes(publicPort) ? "proxy" : "workers"].push(pid);
    else roles.node.push(pid);
  }
  return {
    roles,
    sample() {
      const out = {};
      for (const [role, pids] of Object.entries(roles)) {
        out[role] = pids.reduce((sum, pid) => {
          try {
            return sum + cpuMs(pid);
          } catch {
            return sum;
          }
        }, 0);
      }
      return out;
    },
  };
}

/** CPU ms per role between two samples, divided by `requests`. */
export function perRequest(before, after, requests) {
  return Object.fromEntries(Object.keys(after).map((role) => [role, (after[role] - before[role]) / requests]));
}

/** Resident memory of `pids` together, in MiB (VmRSS from /proc); a process gone counts 0. */
export function rssMiB(pids) {
  return pids.reduce((sum, pid) => {
    try {
      const rss = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      return sum + (rss ? Number(rss[1]) / 1024 : 0);
    } catch {
      return sum;
    }
  }, 0);
}
