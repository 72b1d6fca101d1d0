// Subscription clients for the ICLEI Directory: graphql-ws over a WebSocket, graphql-sse over Server-Sent Events.
import { createClient as createWs } from 'graphql-ws';
import { createClient as createSse } from 'graphql-sse';
import WebSocket from 'ws'; // browsers and Node.js 22 have a WebSocket of their own; Node.js 20 needs this one

// docs:begin ws
export function createWsClient(server, token) {
  return createWs({
    url: `${server.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    // A browser cannot set headers on a WebSocket: the token travels in the connection's init payload. Without
    // one, the subscriptions see public records only.
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  });
}
// docs:end ws

// docs:begin sse
export function createSseClient(server, token, options = {}) {
  return createSse({
    url: `${server}/graphql`,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    // Every subscription on an event stream of its own (graphql-sse's distinct connections mode).
    singleConnection: false,
    ...options,
  });
}
// docs:end sse
