/* svg.c - inline SVG charts for the HTML reports: grouped bars and a heat map. */
#include "report.h"

#include <string.h>

static const char *const palette[] = { "#2f5d8a", "#d9822b", "#3f9b5a", "#b23a48", "#7b5ea7",
				       "#2a9d8f", "#8d6e63", "#e9c46a" };

char *ct_svg_bars(const char *title, const char *const *labels, size_t nlabels,
		  const char *const *series, size_t nseries, const long *values)
{
	struct ct_buf b = CT_BUF_INIT;
	const int W = 960, H = 300, left = 40, top = 30, bottom = 60, right = 160;
	long max = 1;
	for (size_t i = 0; i < nlabels * nseries; i++)
		if (values[i] > max)
			max = values[i];
	/* the axis ends at a multiple of 4 so that each of the 4 grid lines is a whole count */
	max = (max + 3) / 4 * 4;
	int plot_w = W - left - right, plot_h = H - top - bottom;
	double group_w = nlabels ? (double)plot_w / (double)nlabels : plot_w;
	double bar_w = nseries ? (group_w * 0.8) / (double)nseries : 0;
	ct_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
		    " role=\"img\" class=\"bars\"><title>", W, H, W, H);
	ct_html_escape(&b, title);
	ct_buf_addf(&b, "</title><text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"600\">", left);
	ct_html_escape(&b, title);
	ct_buf_addstr(&b, "</text>");
	/* axis and grid */
	for (int g = 0; g <= 4; g++) {
		double y = top + plot_h - (double)plot_h * g / 4.0;
		ct_buf_addf(&b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dde2ea\"/>", left, y,
			    left + plot_w, y);
		ct_buf_addf(&b, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%ld</text>", left - 4,
			    y + 3, (long)((double)max * g / 4.0 + 0.5));
	}
	for (size_t j = 0; j < nlabels; j++) {
		double gx = left + group_w * (double)j + group_w * 0.1;
		for (size_t s = 0; s < nseries; s++) {
			long v = values[s * nlabels + j];
			double h = (double)plot_h * (double)v / (double)max;
			ct_buf_addf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
				    "<title>", gx + bar_w * (double)s, top + plot_h - h, bar_w > 1 ? bar_w - 1 : bar_w,
				    h, palette[s % CT_ARRAY_SIZE(palette)]);
			ct_html_escape(&b, series[s]);
			ct_buf_addf(&b, " %ld</title></rect>", v);
		}
		ct_buf_addf(&b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">",
			    left + group_w * (double)j + group_w / 2, top + plot_h + 14);
		ct_html_escape(&b, labels[j]);
		ct_buf_addstr(&b, "</text>");
	}
	for (size_t s = 0; s < nseries; s++) {
		int y = top + 10 + (int)s * 18;
		ct_buf_addf(&b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			    "<text x=\"%d\" y=\"%d\" font-size=\"12\">", left + plot_w + 16, y,
			    palette[s % CT_ARRAY_SIZE(palette)], left + plot_w + 34, y + 10);
		ct_html_escape(&b, series[s]);
		ct_buf_addstr(&b, "</text>");
	}
	if (!nlabels || !nseries)
		ct_buf_addf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no tagged cases</text>", left + 10,
			    top + plot_h / 2);
	ct_buf_addstr(&b, "</svg>");
	return ct_buf_detach(&b, NULL);
}

char *ct_svg_heatmap(const char *title, const char *const *names, size_t n, const long *values)
{
	struct ct_buf b = CT_BUF_INIT;
	const int cell = 56, left = 170, top = 150;
	int W = left + (int)n * cell + 20, H = top + (int)n * cell + 20;
	long max = 1;
	for (size_t i = 0; i < n * n; i++)
		if (values[i] > max)
			max = values[i];
	ct_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
		    " role=\"img\" class=\"heatmap\"><title>", W, H, W, H);
	ct_html_escape(&b, title);
	ct_buf_addstr(&b, "</title><text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"600\">");
	ct_html_escape(&b, title);
	ct_buf_addf(&b, "</text><text x=\"4\" y=\"%d\" font-size=\"11\">from ↓ / to →</text>", top - 8);
	for (size_t i = 0; i < n; i++) {
		ct_buf_addf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", left - 6,
			    top + (int)i * cell + cell / 2 + 4);
		ct_html_escape(&b, names[i]);
		ct_buf_addf(&b, "</text><text font-size=\"11\" transform=\"translate(%d,%d) rotate(-45)\">",
			    left + (int)i * cell + cell / 2, top - 6);
		ct_html_escape(&b, names[i]);
		ct_buf_addstr(&b, "</text>");
	}
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < n; c++) {
			long v = values[r * n + c];
			double t = (double)v / (double)max;
			int red = 255 - (int)(t * (255 - 47)), green = 255 - (int)(t * (255 - 93)),
			    blue = 255 - (int)(t * (255 - 138));
			ct_buf_addf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\""
				    " stroke=\"#ffffff\"><title>", left + (int)c * cell, top + (int)r * cell, cell, cell,
				    red, green, blue);
			ct_html_escape(&b, names[r]);
			ct_buf_addstr(&b, " → ");
			ct_html_escape(&b, names[c]);
			ct_buf_addf(&b, ": %ld</title></rect>", v);
			if (v)
				ct_buf_addf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"%s\">"
					    "%ld</text>", left + (int)c * cell + cell / 2, top + (int)r * cell + cell / 2 + 4,
					    t > 0.5 ? "#ffffff" : "#1d2330", v);
		}
	ct_buf_addstr(&b, "</svg>");
	return ct_buf_detach(&b, NULL);
}
