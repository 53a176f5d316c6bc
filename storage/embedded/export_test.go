package embedded

// Abandon leaves the redis-server running and unwatched, as a guanjia killed with kill -9
// does.
func (r *Redis) Abandon() {
	close(r.server.stop)
	<-r.server.done
}
