// The default export is a function, not a simulation.
// exit: 2
// message: its default export is a function
export default function main() {
  return 1;
}
