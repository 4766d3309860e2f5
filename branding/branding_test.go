package branding_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/branding"
	"kassa/fault"
)

func encode(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, enc(&b, image.NewRGBA(image.Rect(0, 0, w, h))))
	return b.Bytes()
}

func pngEnc(b *bytes.Buffer, m image.Image) error  { return png.Encode(b, m) }
func jpegEnc(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }

func TestCheckLogo(t *testing.T) {
	t.Parallel()
	good := encode(t, 64, 32, pngEnc)
	for _, tc := range []struct {
		name string
		b    []byte
		typ  string
		code error
	}{
		{"PNG", good, "image/png", nil},
		{"JPEG", encode(t, 64, 32, jpegEnc), "image/jpeg", nil},
		{"Empty", nil, "", branding.ErrInvalidLogo},
		{"TooLarge", append(append([]byte{}, good...), make([]byte, branding.MaxLogoBytes)...), "", branding.ErrLogoTooLarge},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "", branding.ErrUnsupportedLogoType},
		{"SVGWithXMLProlog", []byte(`<?xml version="1.0"?><svg/>`), "", branding.ErrUnsupportedLogoType},
		{"HTML", []byte(`<html><script>alert(1)</script></html>`), "", branding.ErrUnsupportedLogoType},
		{"Truncated", good[:len(good)/2], "", branding.ErrInvalidLogo},
		{"TooWide", encode(t, 5000, 1, pngEnc), "", branding.ErrInvalidLogo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			typ, err := branding.CheckLogo("logoBase64", tc.b)
			if tc.code == nil {
				require.NoError(t, err)
				require.Equal(t, tc.typ, typ)
				return
			}
			f, ok := fault.As(err)
			require.True(t, ok, "%v", err)
			require.ErrorIs(t, err, tc.code)
			require.Equal(t, []string{"input", "logoBase64"}, f.Field)
		})
	}
}

func TestBrandDefaults(t *testing.T) {
	t.Parallel()
	b := branding.Brand{MerchantName: "Snickeri AB"}
	require.Equal(t, "Snickeri AB", b.Name())
	require.Equal(t, branding.DefaultAccent, b.Accent())
	require.Empty(t, b.LogoPath())
	require.Equal(t, "/branding/theme/0b5fff.css", b.ThemePath())
	sha := strings.Repeat("ab", 32)
	b = branding.Brand{MerchantName: "Snickeri AB", DisplayName: "Snickeriet", AccentColor: "#112233", LogoSHA256: &sha}
	require.Equal(t, "Snickeriet", b.Name())
	require.Equal(t, "/branding/logo/"+sha, b.LogoPath())
}

func TestReadableColours(t *testing.T) {
	t.Parallel()
	require.Equal(t, "#ffffff", branding.TextOn("#0b5fff"))
	require.Equal(t, "#ffffff", branding.TextOn("#112233"))
	require.Equal(t, "#1c1c1e", branding.TextOn("#ffff00"), "dark text on yellow")
	require.Equal(t, "#1c1c1e", branding.TextOn("#ffffff"))
	require.Equal(t, "#112233", branding.LinkColor("#112233"))
	require.Equal(t, branding.DefaultAccent, branding.LinkColor("#ffff66"), "a pale accent is not used for links on white")
}

func TestServeTheme(t *testing.T) {
	t.Parallel()
	s := branding.NewService(branding.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /branding/theme/{file}", s.ServeTheme)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/branding/theme/0E7C3A.css", 200},
		{"/branding/theme/0e7c3a", 404},
		{"/branding/theme/red.css", 404},
		{"/branding/theme/0e7c3a;}*{x:y.css", 404},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		require.Equal(t, tc.status, w.Code, tc.path)
		if tc.status == 200 {
			require.Contains(t, w.Body.String(), "--accent: #0e7c3a;")
			require.Equal(t, "text/css; charset=utf-8", w.Header().Get("Content-Type"))
		}
	}
}
