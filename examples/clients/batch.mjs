// Apollo Client 4 with BatchHttpLink for the ICLEI Directory: the operations a page asks for at about the same
// time go in one POST. The server must allow batches (GRAPHQL_BATCH_MAX); it refuses them by default.
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';

export function createBatchingApolloClient(server, options = {}) {
  return new ApolloClient({
    link: new BatchHttpLink({
      uri: `${server}/graphql`,
      // At most the server's GRAPHQL_BATCH_MAX operations per POST; each counts against its rate limit, and
      // together they are held to the complexity limit of one request.
      batchMax: 5,
      batchInterval: 20, // milliseconds to wait for more operations after the first
      ...options,
    }),
    cache: new InMemoryCache(),
  });
}
