// compare.mjs runs the ICLEI Directory and graphql-yoga side by side on this machine and reports the CPU each
// server process spends per request, read from /proc/PID/stat, in interleaved rounds, as ratios from one run.
//
//   npm --prefix bench ci && npm --prefix bench run compare -- [--base REV] [--rounds 5] [--requests 2000] [--concurrency 4]
//
// It builds the directory server from this checkout (and, with --base, from the git revision REV, to compare
// before and after), starts each with its embedded database, once with the response cache off (every request
// executed) and once with it on, fetches the regions and countries from it for yoga to serve from memory,
// checks that every server gives the same data (the directories' byte for byte), and then, round after round, sends each server the same
// requests over keep-alive connections from this process. Only loopback addresses are used; every server is
// stopped at the end. Needs Go, git and Node.js 20 or later; takes a few minutes.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const rounds = Number(opts.rounds);
const requests = Number(opts.requests);
const concurrency = Number(opts.concurrency);

const benchDir = import.meta.dirname;
const root = path.resolve(benchDir, '..');
const runDir = path.join(benchDir, '.run');
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

// The queries, as the issue and docs/performance.md name them. Yoga serves only the countries.
const queries = {
  'countries-with-region': { query: '{ countries { code name region { name } } }', yoga: true },
  'offices-of-region': {
    query:
      'query($r:String!){ region(code:$r){ offices(first:20){ totalCount nodes { key name kind address { street locality postalCode country { code } } location { latitude longitude } } } } }',
    variables: { r: 'east-asia' },
  },
};

const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));
process.on('SIGINT', () => process.exit(130));

function build(name, dir) {
  const bin = path.join(runDir, name);
  console.error(`building ${name} in ${dir}`);
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: dir, stdio: 'inherit' });
  return bin;
}

let nextPort = 18600;

async function startDirectory(name, bin, cacheBytes) {
  const port = nextPort++;
  const dataDir = path.join(runDir, `data-${port}`); // the path goes into a URI: no spaces
  rmSync(dataDir, { recursive: true, force: true });
  const child = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      LISTEN_ADDR: `127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      MONGODB_URI: '',
      GRAPHQL_RESPONSE_CACHE_BYTES: String(cacheBytes),
      RATE_LIMIT_PER_MINUTE: '0',
    },
    // The access log stays on, as in production; it goes nowhere.
    stdio: ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'],
  });
  children.push(child);
  await waitReady(port, '/readyz');
  return { name, port, pid: child.pid };
}

async function startYoga(dataFile) {
  const port = nextPort++;
  const child = spawn(process.execPath, [path.join(benchDir, 'yoga.mjs'), dataFile, String(port)], {
    // graphql-js checks every instanceof in development mode; production is how it is deployed.
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await waitReady(port, '/graphql?query=%7B__typename%7D');
  return { name: 'graphql-yoga', port, pid: child.pid, yoga: true };
}

async function waitReady(port, target) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await request(port, 'GET', target);
      if (res.status === 200) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`port ${port}: not ready after 180 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(port, method, target, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        agent,
        headers: body ? { 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function graphQLBody(name) {
  const q = queries[name];
  return Buffer.from(JSON.stringify({ query: q.query, variables: q.variables }));
}

async function ask(server, name) {
  const res = await request(server.port, 'POST', '/graphql', graphQLBody(name));
  if (res.status !== 200) throw new Error(`${server.name} ${name}: status ${res.status}: ${res.body}`);
  const parsed = JSON.parse(res.body);
  if (parsed.errors) throw new Error(`${server.name} ${name}: ${JSON.stringify(parsed.errors)}`);
  return res.body;
}

// dataBytes returns the data member of a directory answer as sent: builds may differ in the extensions after
// it (such as the operation's cost), not in the data.
function dataBytes(body) {
  const text = body.toString();
  const start = text.indexOf('"data":') + '"data":'.length;
  const end = text.lastIndexOf(',"extensions":');
  return text.slice(start, end > start ? end : text.length - 1);
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

// load sends n requests, concurrency at a time, and returns the server's CPU time per request in µs and the
// requests per second.
async function load(server, name, n) {
  const body = graphQLBody(name);
  let sent = 0;
  const before = cpuTicks(server.pid);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < n) {
        sent++;
        const res = await request(server.port, 'POST', '/graphql', body);
        if (res.status !== 200) throw new Error(`${server.name} ${name}: status ${res.status}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = ((cpuTicks(server.pid) - before) / clockTicks) * 1e6;
  return { cpuPerRequest: cpu / n, perSecond: n / seconds };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => x.toFixed(d);

async function main() {
  mkdirSync(runDir, { recursive: true });
  const builds = [['after', root]];
  let baseTree;
  if (opts.base) {
    baseTree = path.join(runDir, 'base-tree');
    rmSync(baseTree, { recursive: true, force: true });
    execFileSync('git', ['worktree', 'prune'], { cwd: root });
    execFileSync('git', ['worktree', 'add', '--detach', baseTree, opts.base], { cwd: root, stdio: 'inherit' });
    builds.unshift(['before', baseTree]);
  }
  const servers = [];
  try {
    for (const [label, dir] of builds) {
      const bin = build(`directory-${label}`, dir);
      servers.push(await startDirectory(`directory ${label}, executed`, bin, 0));
      servers.push(await startDirectory(`directory ${label}, cached`, bin, 32 << 20));
    }
  } finally {
    if (baseTree) execFileSync('git', ['worktree', 'remove', '--force', baseTree], { cwd: root });
  }

  // Yoga serves what the directory serves.
  const data = JSON.parse(
    (await request(servers[0].port, 'POST', '/graphql', Buffer.from(JSON.stringify({ query: '{ regions { code name } countries { code name region { code } } }' })))).body,
  ).data;
  const dataFile = path.join(runDir, 'yoga-data.json');
  writeFileSync(dataFile, JSON.stringify(data));
  servers.push(await startYoga(dataFile));

  // Every directory gives the same bytes, and yoga the same data.
  for (const name of Object.keys(queries)) {
    const reference = await ask(servers[0], name);
    for (const s of servers.slice(1)) {
      if (s.yoga && !queries[name].yoga) continue;
      const got = await ask(s, name);
      const same = s.yoga
        ? JSON.stringify(JSON.parse(got).data) === JSON.stringify(JSON.parse(reference).data)
        : dataBytes(got) === dataBytes(reference);
      if (!same) throw new Error(`${s.name} answers ${name} differently from ${servers[0].name}`);
    }
  }
  console.error('answers checked: the directories\' data byte for byte, yoga\'s data by value');

  const results = {}; // name -> server -> [{cpuPerRequest, perSecond}]
  for (let round = 0; round < rounds; round++) {
    // Rotate the order, so that no server always runs first or last in a round.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const name of Object.keys(queries)) {
      for (const s of order) {
        if (s.yoga && !queries[name].yoga) continue;
        if (round === 0) await load(s, name, Math.min(500, requests)); // warm up
        const r = await load(s, name, requests);
        ((results[name] ??= {})[s.name] ??= []).push(r);
        console.error(`round ${round + 1} ${name} ${s.name}: ${fmt(r.cpuPerRequest, 0)} µs CPU/request, ${fmt(r.perSecond, 0)} requests/s`);
      }
    }
  }

  console.log(`\n${rounds} rounds of ${requests} requests, ${concurrency} at a time; CPU per request of each server process.\n`);
  for (const [name, byServer] of Object.entries(results)) {
    console.log(`### ${name}\n`);
    const refs = Object.keys(byServer).filter((n) => n === 'graphql-yoga' || n.startsWith('directory before'));
    console.log(`| server | CPU µs/request (median) | requests/s (median) | ${refs.map((r) => `÷ ${r} (per round, min–max)`).join(' | ')} |`);
    console.log(`|---|---:|---:|${refs.map(() => '---:').join('|')}|`);
    for (const [server, rs] of Object.entries(byServer)) {
      const cells = refs.map((ref) => {
        if (ref === server) return '1';
        const ratios = rs.map((r, i) => r.cpuPerRequest / byServer[ref][i].cpuPerRequest);
        return `${fmt(median(ratios))}× (${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))})`;
      });
      console.log(`| ${server} | ${fmt(median(rs.map((r) => r.cpuPerRequest)), 0)} | ${fmt(median(rs.map((r) => r.perSecond)), 0)} | ${cells.join(' | ')} |`);
    }
    console.log('');
  }
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
