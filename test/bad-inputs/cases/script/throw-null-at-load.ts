// The script throws null while loading.
// exit: 2
// message: threw null while loading, not an Error
throw null;
