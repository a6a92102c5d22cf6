/* Files served from memory, built into the library as they are in the
 * tree: the OpenAPI document and the dashboard page.  Each ends with a NUL
 * (not counted in its length) so that it can be used as a string.  */
	.section .rodata
	.balign 16
	.globl mr_asset_openapi_yaml
	.hidden mr_asset_openapi_yaml
mr_asset_openapi_yaml:
	.incbin "docs/api.yaml"
	.globl mr_asset_openapi_yaml_end
	.hidden mr_asset_openapi_yaml_end
mr_asset_openapi_yaml_end:
	.byte 0

	.balign 16
	.globl mr_asset_dashboard_html
	.hidden mr_asset_dashboard_html
mr_asset_dashboard_html:
	.incbin "lib/http/dashboard.html"
	.globl mr_asset_dashboard_html_end
	.hidden mr_asset_dashboard_html_end
mr_asset_dashboard_html_end:
	.byte 0

	.section .note.GNU-stack,"",@progbits
