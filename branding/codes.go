package branding

import "kassa/fault"

// Error codes the branding package owns. Compare with errors.Is.
var (
	ErrInvalidDisplayName = fault.Define("INVALID_DISPLAY_NAME",
		"displayName is longer than 100 characters, not on one line, or holds < or >.")
	ErrInvalidColor = fault.Define("INVALID_COLOR",
		"accentColor is not a colour in the form #rrggbb.")
	ErrConflictingLogoInput = fault.Define("CONFLICTING_LOGO_INPUT",
		"More than one of logoBase64, logoUrl and removeLogo was given.")
	ErrLogoTooLarge = fault.Define("LOGO_TOO_LARGE",
		"The logo is larger than allowed.")
	ErrInvalidLogo = fault.Define("INVALID_LOGO",
		"The logo is empty, not valid base64, not a readable image, or more than 4096×4096 pixels.")
	ErrUnsupportedLogoType = fault.Define("UNSUPPORTED_LOGO_TYPE",
		"The logo is not a PNG or JPEG image.")
	ErrLogoFetchFailed = fault.Define("LOGO_FETCH_FAILED",
		"The logo at logoUrl could not be fetched.")
)
