// Package guanjia holds the domain vocabulary of the guanjia property-management assistant:
// communities, households, people, chats, tickets and conversation sessions, with their
// statuses, validation and sentinel errors. It does no I/O; flows and storage both import it.
package guanjia
