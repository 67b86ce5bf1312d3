// The script throws a string (not an Error) while loading.
// exit: 2
// message: threw the string "no config" while loading, not an Error
throw 'no config';
