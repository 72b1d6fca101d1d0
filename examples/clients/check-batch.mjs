// Runs the batching client of docs/clients.md (batch.mjs) against a running server that allows batches of at
// least 5 operations, and fails on any wrong answer.
// Usage: node check-batch.mjs http://localhost:8080
import assert from 'node:assert/strict';
import { gql } from '@apollo/client';
import { createBatchingApolloClient } from './batch.mjs';

const server = process.argv[2];
assert.ok(server, 'give the server URL, such as http://localhost:8080');

// Counts the POSTs the link sends, and the operations in each.
const batches = [];
const fetchCounting = async (url, init) => {
  batches.push(JSON.parse(init.body).length);
  return fetch(url, init);
};
const client = createBatchingApolloClient(server, { fetch: fetchCounting });
const ask = (query, variables = {}) => client.query({ query: gql(query), variables, errorPolicy: 'all', fetchPolicy: 'network-only' });

// Three operations asked together: one POST, each answered on its own, the failing one with its code.
const [regions, office, mars] = await Promise.all([
  ask('query Regions { regions { code name } }'),
  ask('query Office($key: String!) { office(key: $key) { id name } }', { key: 'korea-office' }),
  ask('query Mars { countries(region: "mars") { code } }'),
]);
assert.deepEqual(batches, [3], `the link sent ${JSON.stringify(batches)} operations per POST`);
assert.ifError(regions.error);
assert.ok(regions.data.regions.some((r) => r.code === 'east-asia'), JSON.stringify(regions.data));
assert.ifError(office.error);
assert.equal(office.data.office.name, 'Korea Office');
assert.ok(mars.error, 'the failing operation reports no error');
assert.equal(mars.error.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(mars.error));
console.log('ok Apollo BatchHttpLink sends one POST and reads each answer');

// Seven at once: split by batchMax into POSTs of five and two.
batches.length = 0;
const many = await Promise.all(Array.from({ length: 7 }, (_, i) => ask(`query R${i} { directory { revision } }`)));
assert.ok(many.every((r) => !r.error && r.data.directory.revision), JSON.stringify(many));
assert.deepEqual(batches, [5, 2], `the link sent ${JSON.stringify(batches)} operations per POST`);
console.log('ok Apollo BatchHttpLink keeps to batchMax');
