// Subscribes to a running server with the graphql-ws (WebSocket) and graphql-sse (Server-Sent Events) clients,
// as docs/clients.md shows, and checks what they receive while an admin grants a membership: the events, their
// revisions, resuming with `after`, private events for an admin, and errors with their codes.
// Usage: node subscriptions.mjs http://localhost:8080 ADMIN_API_KEY
import assert from 'node:assert/strict';
import { createWsClient, createSseClient } from './live.mjs';

const [server, key] = process.argv.slice(2);
assert.ok(server && key, 'give the server URL and an admin API key');

async function graphql(query, variables = {}, token) {
  const res = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

// take subscribes and resolves with the first n events, or rejects with the subscription's error.
function take(client, payload, n) {
  return new Promise((resolve, reject) => {
    const events = [];
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${n} events within 20s`)), 20000);
    const unsubscribe = client.subscribe(payload, {
      next: (result) => {
        if (result.errors) {
          clearTimeout(timer);
          unsubscribe();
          reject(Object.assign(new Error(result.errors[0].message), { graphQLErrors: result.errors }));
          return;
        }
        events.push(result.data);
        if (events.length === n) {
          clearTimeout(timer);
          unsubscribe();
          resolve(events);
        }
      },
      error: (err) => {
        clearTimeout(timer);
        reject(err);
      },
      complete: () => {},
    });
  });
}

const membershipChanged = `subscription Memberships($after: String) {
  membershipChanged(region: "east-asia", after: $after) {
    revision
    changes { action city { key name } membership { category status since } }
  }
}`;

const { directory } = await graphql('{ directory { revision } }');
const start = directory.revision;

const ws = createWsClient(server, key);
const sse = createSseClient(server, key);

// Both subscribe from the revision read above, so neither can miss the grant however soon it comes.
const fromWs = take(ws, { query: membershipChanged, variables: { after: start } }, 1);
const fromSse = take(sse, { query: membershipChanged, variables: { after: start } }, 1);
const { city } = await graphql('{ city(key: "seoul") { version } }');
await graphql(
  `mutation Grant($version: Int!) {
    grantMembership(input: { city: "seoul", cityVersion: $version, category: FULL, since: "2024-05-01" }) { id }
  }`,
  { version: city.version },
  key,
);
const [[wsEvent], [sseEvent]] = await Promise.all([fromWs, fromSse]);
for (const [name, event] of [['graphql-ws', wsEvent], ['graphql-sse', sseEvent]]) {
  const { revision, changes } = event.membershipChanged;
  assert.ok(Number(revision) > Number(start), `${name}: revision ${revision} after ${start}`);
  assert.deepEqual(changes.map((c) => [c.action, c.city.key, c.membership.status]), [['GRANTED', 'seoul', 'ACTIVE']], name);
}
assert.equal(wsEvent.membershipChanged.revision, sseEvent.membershipChanged.revision);
const granted = wsEvent.membershipChanged.revision;

// Resuming after the grant's revision replays nothing: the next event is the next change.
const resumed = take(ws, { query: membershipChanged, variables: { after: granted } }, 1);
const { city: seoul } = await graphql('{ city(key: "seoul") { version membership { id } } }');
const membership = seoul.membership.id;
await graphql(
  `mutation Suspend($version: Int!, $id: String!) {
    changeMembership(input: { city: "seoul", cityVersion: $version, membership: $id, status: SUSPENDED }) { id }
  }`,
  { version: seoul.version, id: Buffer.from(membership, 'base64url').toString().split('/')[1] },
  key,
);
const [next] = await resumed;
assert.ok(Number(next.membershipChanged.revision) > Number(granted));
assert.deepEqual(next.membershipChanged.changes.map((c) => [c.action, c.membership.status]), [['CHANGED', 'SUSPENDED']]);
console.log('ok graphql-ws and graphql-sse receive the membership events, and resume after a revision');

// Private events: an admin's WebSocket, authenticated in its init payload, sees an application; an anonymous
// event stream, with the same filter, sees only the public change that follows it.
const privateSub = `subscription Private($after: String) {
  directoryChanged(after: $after, filter: { kinds: ["MembershipApplication", "City"] }) { revision actor changes { kind key } }
}`;
const now = (await graphql('{ directory { revision } }')).directory.revision;
const anonymousSse = createSseClient(server);
const adminEvents = take(ws, { query: privateSub, variables: { after: now } }, 1);
const anonymousEvents = take(anonymousSse, { query: privateSub, variables: { after: now } }, 1);
await graphql(
  `mutation { applyForMembership(input: { name: "Hoi An", country: "VN", category: FULL, contactName: "Lan Nguyen",
    email: "lan@example.vn", motivation: "Heritage and climate adaptation." }) { reference } }`,
);
const { city: beijing } = await graphql('{ city(key: "beijing") { version } }');
await graphql(
  `mutation Grant($version: Int!) {
    grantMembership(input: { city: "beijing", cityVersion: $version, category: ASSOCIATE, since: "2024-05-01" }) { id }
  }`,
  { version: beijing.version },
  key,
);
const [[adminEvent], [anonymousEvent]] = await Promise.all([adminEvents, anonymousEvents]);
assert.equal(adminEvent.directoryChanged.changes[0].kind, 'MembershipApplication');
assert.match(adminEvent.directoryChanged.actor, /^applicant:/);
assert.deepEqual(anonymousEvent.directoryChanged.changes, [{ kind: 'City', key: 'beijing' }]);
assert.equal(anonymousEvent.directoryChanged.actor, null);
console.log('ok private events reach an admin authenticated in the init payload, and only the admin');

// Errors carry their code: a bad argument over the WebSocket, a document that does not validate over SSE
// (refused with 400 before the stream opens, which graphql-sse reports as a NetworkError with the response).
await assert.rejects(take(ws, { query: 'subscription { membershipChanged(region: "atlantis") { revision } }' }, 1), (err) => {
  assert.equal(err.graphQLErrors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(err.graphQLErrors ?? String(err)));
  return true;
});
const strictSse = createSseClient(server, undefined, { retryAttempts: 0 });
const refused = await take(strictSse, { query: 'subscription { noSuchField }' }, 1).then(
  () => assert.fail('a subscription that does not validate was streamed'),
  (err) => err,
);
assert.equal(refused.response?.status, 400, String(refused));
assert.equal((await refused.response.json()).errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
console.log('ok errors carry extensions.code over both transports');

await ws.dispose();
sse.dispose();
anonymousSse.dispose();
strictSse.dispose();
