// Stand-in for the optional `graphql-ws` peer dependency of @graphiql/toolkit.
//
// The toolkit only loads graphql-ws (through a dynamic import) when the
// fetcher is given a `subscriptionUrl`, which this playground never does. The
// build aliases `graphql-ws` to this file so that the bundle neither contains
// the websocket client nor keeps an unresolvable import() around.
export function createClient() {
  throw new Error('GraphQL subscriptions over websockets are not supported by this playground');
}
