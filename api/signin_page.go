package api

import (
	"bytes"
	"html/template"
)

// signinPageTmpl is the page kpnode dashboard --open writes (mode 0600, in
// the node's home) and hands to the desktop's opener by its path: the page
// posts the one-time code to /signin, so that the code never appears on a
// command line, in a URL or in the browser's history. The code is the
// page's only secret and works once, for SigninCodeTTL.
var signinPageTmpl = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>Signing in to kpnode…</title></head>
<body>
<form id="signin" method="post" action="{{.SigninURL}}">
<input type="hidden" name="code" value="{{.Code}}">
<p>Signing in to the kpnode dashboard… If nothing happens, <button type="submit">sign in</button>.</p>
</form>
<script>document.getElementById('signin').submit();</script>
</body></html>
`))

// SigninPage renders the self-submitting sign-in page for link.
func SigninPage(link SigninLink) ([]byte, error) {
	var buf bytes.Buffer
	if err := signinPageTmpl.Execute(&buf, link); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
