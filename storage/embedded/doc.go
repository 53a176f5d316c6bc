// Package embedded provides in-process stand-ins for the zero-setup default: FerretDB on
// SQLite in place of MongoDB, and an in-process Redis. Production points guanjia at real
// servers instead; nothing else in the program needs to know the difference.
package embedded
