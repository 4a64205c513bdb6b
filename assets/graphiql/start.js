// yizhan's GraphiQL bootstrap, served from /graphiql/start.js so the page needs no inline
// script under its Content-Security-Policy. Queries and mutations go to /graphql;
// subscriptions to /graphql/ws over graphql-transport-ws, where the Headers tab's
// {"Authorization": "Bearer …"} travels in connection_init.
(function () {
  'use strict';
  var scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  var send = GraphiQL.createFetcher({
    url: window.location.origin + '/graphql',
    subscriptionUrl: scheme + '//' + window.location.host + '/graphql/ws',
  });
  // yizhan refuses documents nested deeper than 12 levels, and graphql-js's introspection
  // query unwraps type references 9 levels deep. Six are plenty: [[T!]!]! needs five.
  var typeRef = 'fragment TypeRef on __Type { kind name ' +
    'ofType { kind name ofType { kind name ofType { kind name ' +
    'ofType { kind name ofType { kind name ofType { kind name } } } } } } }';
  function fetcher(params, options) {
    var at = params.operationName === 'IntrospectionQuery'
      ? params.query.indexOf('fragment TypeRef on __Type')
      : -1;
    if (at >= 0) {
      params = Object.assign({}, params, { query: params.query.slice(0, at) + typeRef });
    }
    return send(params, options);
  }
  var root = document.getElementById('graphiql');
  document.body.style.margin = '0';
  root.style.height = '100vh';
  root.textContent = '';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    })
  );
})();
