package telegramtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
)

// FaultKind says how a faulted call fails.
type FaultKind int

// Fault kinds.
const (
	// FaultTooManyRequests: 429 with parameters.retry_after = RetryAfter.
	// It opens a retry window: calls for the same chat (or, for chat-less
	// calls, the same method) before it ends are answered 429 again and
	// counted as BreachRetryTooSoon.
	FaultTooManyRequests FaultKind = iota + 1
	// FaultInternal: 500 {"ok":false,"error_code":500,"description":"Internal Server Error"}.
	FaultInternal
	// FaultBadGateway: an nginx-style HTML 502 page (Content-Type text/html).
	FaultBadGateway
	// FaultHang: no response until the request context is cancelled or the
	// server closes; then the connection is dropped.
	FaultHang
	// FaultReset: the TCP connection is reset (hijacked, SO_LINGER 0, closed).
	FaultReset
	// FaultBlocked: 403 "Forbidden: bot was blocked by the user".
	FaultBlocked
	// FaultConflict: 409 "Conflict: terminated by other getUpdates request;
	// make sure that only one bot instance is running".
	FaultConflict
	// FaultBadRequest: 400 "Bad Request: " + Description.
	FaultBadRequest
)

var faultNames = map[FaultKind]string{
	FaultTooManyRequests: "too_many_requests", FaultInternal: "internal", FaultBadGateway: "bad_gateway",
	FaultHang: "hang", FaultReset: "reset", FaultBlocked: "blocked", FaultConflict: "conflict", FaultBadRequest: "bad_request",
}

func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is a scripted failure.
type Fault struct {
	Kind        FaultKind
	RetryAfter  int    // FaultTooManyRequests: seconds (default 5)
	Description string // FaultBadRequest: text after "Bad Request: "
	// ChatID, if non-zero, restricts the fault to calls for that chat.
	ChatID int64
}

// TooManyRequests returns a 429 fault with the given retry_after seconds.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Kind: FaultTooManyRequests, RetryAfter: retryAfter}
}

// InternalError returns a 500 JSON error fault.
func InternalError() Fault { return Fault{Kind: FaultInternal} }

// BadGateway returns an HTML 502 fault, as from a proxy in front of the API.
func BadGateway() Fault { return Fault{Kind: FaultBadGateway} }

// Hang returns a fault that never answers.
func Hang() Fault { return Fault{Kind: FaultHang} }

// ConnReset returns a fault that resets the connection.
func ConnReset() Fault { return Fault{Kind: FaultReset} }

// Blocked returns a 403 "bot was blocked by the user" fault for chatID
// (0 = any chat).
func Blocked(chatID int64) Fault { return Fault{Kind: FaultBlocked, ChatID: chatID} }

// Conflict returns the 409 getUpdates conflict fault.
func Conflict() Fault { return Fault{Kind: FaultConflict} }

// BadRequest returns a 400 fault with description "Bad Request: "+desc.
func BadRequest(desc string) Fault { return Fault{Kind: FaultBadRequest, Description: desc} }

// ForChat returns f restricted to calls for chatID.
func (f Fault) ForChat(chatID int64) Fault { f.ChatID = chatID; return f }

type scriptedFault struct {
	method string // lower case; "" = any
	f      Fault
	left   int // <0: unlimited
}

// Fail makes the next n calls of method (case-insensitive; "" or "*" for
// any method) that match f.ChatID fail with f. n <= 0 means every matching
// call until ClearFaults. Scripts are consumed in the order added.
func (s *Server) Fail(method string, f Fault, n int) {
	if method == "*" {
		method = ""
	}
	if n <= 0 {
		n = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &scriptedFault{method: strings.ToLower(method), f: f, left: n})
}

// ClearFaults removes all scripted faults (not the chaos mode).
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// Chaos configures probabilistic faults.
type Chaos struct {
	Seed uint64
	// Rate is the fraction (0..1) of eligible calls that fail.
	Rate float64
	// Faults is the mix, picked uniformly (repeat an entry to weight it).
	// Empty means InternalError.
	Faults []Fault
	// Methods restricts chaos to these methods (case-insensitive); empty
	// means all methods.
	Methods []string
	// Calls is how many eligible calls chaos considers before turning
	// itself off; 0 means until StopChaos.
	Calls int
}

type chaosState struct {
	c       Chaos
	rng     *rand.Rand
	seen    int
	methods map[string]bool
}

// StartChaos enables probabilistic faults, replacing any previous Chaos.
// Decisions are deterministic for a given seed and call order.
func (s *Server) StartChaos(c Chaos) {
	cs := &chaosState{c: c, rng: rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))}
	if len(c.Methods) > 0 {
		cs.methods = map[string]bool{}
		for _, m := range c.Methods {
			cs.methods[strings.ToLower(m)] = true
		}
	}
	if len(c.Faults) == 0 {
		cs.c.Faults = []Fault{InternalError()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.chaos = cs
}

// StopChaos disables probabilistic faults.
func (s *Server) StopChaos() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.chaos = nil
}

// pickFault chooses a fault for the call (s.mu held).
func (s *Server) pickFault(r *request) (*Fault, string) {
	lm := strings.ToLower(r.method)
	for i, sf := range s.st.faults {
		if sf.method != "" && sf.method != lm {
			continue
		}
		if sf.f.ChatID != 0 && sf.f.ChatID != r.chatID {
			continue
		}
		f := sf.f
		if sf.left > 0 {
			sf.left--
			if sf.left == 0 {
				s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
			}
		}
		return &f, f.Kind.String()
	}
	if cs := s.st.chaos; cs != nil {
		if cs.methods != nil && !cs.methods[lm] {
			return nil, ""
		}
		cs.seen++
		if cs.c.Calls > 0 && cs.seen >= cs.c.Calls {
			s.st.chaos = nil
		}
		if cs.rng.Float64() < cs.c.Rate {
			f := cs.c.Faults[cs.rng.IntN(len(cs.c.Faults))]
			if f.ChatID != 0 && f.ChatID != r.chatID {
				return nil, ""
			}
			return &f, "chaos:" + f.Kind.String()
		}
	}
	return nil, ""
}

const badGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// applyFault answers a call with a fault (s.mu not held).
func (s *Server) applyFault(w http.ResponseWriter, hr *http.Request, r *request, f *Fault, name string) {
	var ae *apiError
	switch f.Kind {
	case FaultTooManyRequests:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = 5
		}
		ae = &apiError{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", ra), RetryAfter: ra}
		s.mu.Lock()
		s.st.retryUntil[retryKey(r)] = s.now().Add(time.Duration(ra) * time.Second)
		s.mu.Unlock()
	case FaultInternal:
		ae = &apiError{Code: 500, Description: "Internal Server Error"}
	case FaultBlocked:
		ae = errBlocked
	case FaultConflict:
		ae = &apiError{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	case FaultBadRequest:
		ae = badRequest("%s", f.Description)
	case FaultBadGateway:
		s.record(r, 502, &apiError{Code: 502, Description: "502 Bad Gateway (HTML)"}, name)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayHTML))
		return
	case FaultHang:
		select {
		case <-r.ctx.Done():
		case <-s.closed:
		}
		s.record(r, 0, nil, name)
		panic(http.ErrAbortHandler) // drop the connection without a response
	case FaultReset:
		s.record(r, 0, nil, name)
		resetConn(w)
		return
	default:
		ae = &apiError{Code: 500, Description: "Internal Server Error"}
	}
	s.record(r, ae.Code, ae, name)
	writeError(w, ae)
}

func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
