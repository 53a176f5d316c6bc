package guanjia

import "errors"

// Sentinel errors shared by storage and flows. Wrap them with %w and test with errors.Is.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a concurrent change or a uniqueness rule prevented the write.
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the actor's role does not allow the action.
	ErrForbidden = errors.New("forbidden")
	// ErrExpired means a conversation session went idle past its expiry.
	ErrExpired = errors.New("expired")
	// ErrInvalid means input failed validation.
	ErrInvalid = errors.New("invalid")
)
