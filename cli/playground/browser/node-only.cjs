// Stand-in for every node: module in the package's browser entry: any function taken from it
// throws one line naming itself, so the engine loads in a page and only file access fails.
module.exports = new Proxy(
  {},
  {
    get: (_, name) =>
      name === '__esModule' ? false : () => {
        throw new Error(`${String(name)} needs Node (files, threads or native modules); the browser build of epsx does not have it`);
      },
    ownKeys: () => [],
  },
);
