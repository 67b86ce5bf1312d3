// The default export is a number.
// exit: 2
// message: its default export is number 42
export default 42;
