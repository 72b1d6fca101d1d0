// urql 6 with the normalised cache of @urql/exchange-graphcache, for the ICLEI Directory.
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { buildSchema, introspectionFromSchema, isObjectType } from 'graphql';

export async function createUrqlClient(server) {
  // The published SDL gives graphcache the schema, so that fragments on the Node interface and on the
  // Institution and SearchNode unions match exactly rather than by heuristics.
  const schema = buildSchema(await (await fetch(`${server}/schema.graphql`)).text());
  // Records are keyed by their global `id`, graphcache's default, and membership applications by their
  // reference. Every other object type (Address, Location, PhoneNumber, Provenance, connections and edges...)
  // has no identity of its own: it is embedded in the record that holds it, which `() => null` says.
  const roots = [schema.getQueryType(), schema.getMutationType()];
  const keys = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || roots.includes(type) || type.getFields().id) continue;
    keys[type.name] = type.getFields().reference ? (data) => data.reference : () => null;
  }
  return new Client({
    url: `${server}/graphql`,
    exchanges: [cacheExchange({ schema: introspectionFromSchema(schema), keys }), fetchExchange],
  });
}
