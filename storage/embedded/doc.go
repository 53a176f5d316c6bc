// Package embedded provides the stores of the zero-setup default: FerretDB on SQLite in place
// of MongoDB, and Redis — a redis-server child process with an append-only file when one is
// installed, miniredis inside the process otherwise — plus the lock that gives one process a
// data folder and lets others use the stores it serves. Production points guanjia at real
// servers instead; nothing else in the program needs to know the difference.
package embedded
