// Mounts the vendored GraphiQL on /graphiql: queries and mutations go to
// /graphql as the logged-in person (the session cookie; a JSON body, which
// the server's CSRF rule accepts), subscriptions over the websocket
// (graphql-transport-ws). The example tabs come from the page itself
// (a JSON data block, not a script), so nothing here runs inline.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var data = document.getElementById("graphiql-examples");
  var examples = data ? JSON.parse(data.textContent) : [];
  var wsURL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    enableIncrementalDelivery: false,
    fetch: function (url, init) {
      init = init || {};
      init.credentials = "same-origin";
      // One content-type header (GraphiQL names it in lower case): two
      // would be joined into a value the server's CSRF rule refuses.
      var headers = {};
      Object.keys(init.headers || {}).forEach(function (k) {
        if (k.toLowerCase() !== "content-type") { headers[k] = init.headers[k]; }
      });
      headers["Content-Type"] = "application/json";
      init.headers = headers;
      return window.fetch(url, init);
    },
    wsClient: graphqlWs.createClient({ url: wsURL, lazy: true })
  });
  var tabs = examples.map(function (e) {
    return { query: e.query, variables: e.variables };
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs,
      // GraphiQL fills the first tab's query editor from defaultTabs but
      // not its variables editor: give those too.
      variables: tabs.length ? tabs[0].variables : undefined,
      defaultEditorToolsVisibility: "variables",
      shouldPersistHeaders: false,
      // Kept in memory only: tabs stored by an earlier visit would hide
      // the examples (GraphiQL then opens what it stored, plus a tab of
      // its own), so each visit starts from the examples.
      storage: memoryStorage()
    })
  );

  function memoryStorage() {
    var items = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(items, k) ? items[k] : null; },
      setItem: function (k, v) { items[k] = String(v); },
      removeItem: function (k) { delete items[k]; },
      clear: function () { items = {}; },
      get length() { return Object.keys(items).length; }
    };
  }
})();
