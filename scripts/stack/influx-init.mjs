#!/usr/bin/env node
// One-time set-up of the local InfluxDB for scripts/stack.sh; safe to run again.
//
//   node influx-init.mjs 2.x URL ORG BUCKET TOKEN USER PASSWORD
//     onboarding (POST /api/v2/setup) if the server was never set up, then checks that TOKEN
//     sees BUCKET in ORG.
//   node influx-init.mjs 1.8 URL DATABASE
//     CREATE DATABASE (a no-op if it exists); its default retention policy "autogen" makes
//     the v2 bucket names DATABASE and DATABASE/autogen.
const TIMEOUT_MS = 10000;

async function call(method, url, { token, json, form } = {}) {
  const headers = {};
  let body;
  if (token) headers.Authorization = `Token ${token}`;
  if (json) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = new URLSearchParams(form);
  }
  const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

async function setupV2(url, org, bucket, token, username, password) {
  const { allowed } = await call('GET', `${url}/api/v2/setup`);
  if (allowed) {
    await call('POST', `${url}/api/v2/setup`, {
      json: { username, password, org, bucket, token, retentionPeriodSeconds: 0 },
    });
    console.log(`onboarded: org ${org}, bucket ${bucket}, user ${username}`);
  }
  const found = await call('GET', `${url}/api/v2/buckets?org=${encodeURIComponent(org)}&name=${encodeURIComponent(bucket)}`, { token });
  if (!found.buckets?.some((b) => b.name === bucket)) {
    throw new Error(`the server was set up before without bucket "${bucket}" in org "${org}" for this token: wipe it with 'stack.sh up --fresh'`);
  }
  console.log(`token sees bucket ${bucket} in org ${org}`);
}

async function setupV1(url, database) {
  const answer = await call('POST', `${url}/query`, { form: { q: `CREATE DATABASE "${database}"` } });
  const error = answer.results?.[0]?.error;
  if (error) throw new Error(`CREATE DATABASE ${database}: ${error}`);
  console.log(`database ${database} exists (bucket ${database} or ${database}/autogen)`);
}

const [kind, ...args] = process.argv.slice(2);
try {
  if (kind === '2.x' && args.length === 6) await setupV2(...args);
  else if (kind === '1.8' && args.length === 2) await setupV1(...args);
  else {
    console.error('usage: influx-init.mjs 2.x URL ORG BUCKET TOKEN USER PASSWORD | 1.8 URL DATABASE');
    process.exit(2);
  }
} catch (err) {
  console.error(`influx-init: ${err.message}`);
  process.exit(1);
}
