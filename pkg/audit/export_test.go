package audit

// PendingReads is how many records wait for the ReadLog's next statement.
func PendingReads(l *ReadLog) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		return 0
	}
	return len(l.pending.cols[0])
}
