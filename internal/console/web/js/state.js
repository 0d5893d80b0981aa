// What the pages share: the apps the console may manage, the one picked,
// navigation, and a token handed from the generator to the inspector.
export const state = {
  /** The apps the console may manage. */
  apps: [],
  /** The app the pages work on. */
  app: null,
  /** Navigates to a route such as "inspect"; set by main.js. */
  go: () => {},
  /** A token the inspector shows next. */
  inspect: "",
};
