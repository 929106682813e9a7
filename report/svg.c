/* svg.c - inline SVG charts for the HTML reports: grouped bars and a heat map. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

static const char *const palette[] = { "#2f5d8a", "#d9822b", "#3f9b5a", "#b23a48", "#7b5ea7",
				       "#2a9d8f", "#8d6e63", "#e9c46a" };

/* The categories of the bundled rule set keep the first colours; any other by its name. */
const char *ct_category_colour(const char *category)
{
	static const char *const known[] = { "billing_dispute", "overpromise", "handoff" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(known); i++)
		if (!strcmp(category, known[i]))
			return palette[i];
	uint64_t h = ct_hash64(category, strlen(category), 0);
	return palette[CT_ARRAY_SIZE(known) + h % (CT_ARRAY_SIZE(palette) - CT_ARRAY_SIZE(known))];
}

/* A round step for about 4 grid lines up to max: 1, 2, 5, 10, 20, 50, ... */
static long nice_step(long max)
{
	long step = 1;
	for (;;) {
		if (step * 4 >= max)
			return step;
		if (step * 2 * 4 >= max)
			return step * 2;
		if (step * 5 * 4 >= max)
			return step * 5;
		step *= 10;
	}
}

char *ct_svg_bars(const struct ct_chart *ch)
{
	struct ct_buf b = CT_BUF_INIT;
	/* 720 px: readable as it is on a desktop, and scrolled rather than shrunk on a phone */
	const int W = 720, left = 58, bottom = 74, right = 16;
	size_t nl = ch->nlabels, ns = ch->nseries;
	/* the legend: one row of categories under the title, wrapped when it is full */
	int *lx = ct_calloc(ns + 1, sizeof(int)), *ly = ct_calloc(ns + 1, sizeof(int));
	int leg_x = left, leg_y = 34;
	for (size_t s = 0; s < ns; s++) {
		int w = 12 + 6 + (int)((double)ct_utf8_width(ch->series[s], strlen(ch->series[s])) * 7.5) + 18;
		if (leg_x > left && leg_x + w > W - right) {
			leg_x = left;
			leg_y += 18;
		}
		lx[s] = leg_x;
		ly[s] = leg_y;
		leg_x += w;
	}
	const int top = leg_y + 26, H = top + 220 + bottom;
	long max = 1;
	for (size_t j = 0; j < nl; j++) {
		long sum = 0;
		for (size_t s = 0; s < ns; s++)
			sum += ch->values[s * nl + j];
		if (sum > max)
			max = sum;
	}
	long step = nice_step(max), top_value = (max + step - 1) / step * step;
	int plot_w = W - left - right, plot_h = H - top - bottom;
	double group_w = nl ? (double)plot_w / (double)nl : plot_w;
	double bar_w = group_w * 0.7;
	/* at most about 18 labels fit under the axis: show every k-th one */
	size_t every = nl > 18 ? (nl + 17) / 18 : 1;
	ct_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
		    " role=\"img\" class=\"bars\" font-family=\"DejaVu Sans, Verdana, sans-serif\" fill=\"#1d2330\">"
		    "<title>", W, H, W, H);
	ct_html_escape(&b, ch->title);
	ct_buf_addf(&b, "</title><rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>"
		    "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"600\">", W, H, 8);
	ct_html_escape(&b, ch->title);
	ct_buf_addstr(&b, "</text>");
	/* y axis: grid lines at round counts, and its label */
	for (long v = 0; v <= top_value; v += step) {
		double y = top + plot_h - (double)plot_h * (double)v / (double)top_value;
		ct_buf_addf(&b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>", left, y,
			    left + plot_w, y, v ? "#dde2ea" : "#6b7280");
		ct_buf_addf(&b, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%ld</text>", left - 5,
			    y + 4, v);
	}
	ct_buf_addf(&b, "<text font-size=\"12\" text-anchor=\"middle\" transform=\"translate(16,%d) rotate(-90)\">",
		    top + plot_h / 2);
	ct_html_escape(&b, ch->y_label);
	ct_buf_addstr(&b, "</text>");
	double last_year_x = -1;
	for (size_t j = 0; j < nl; j++) {
		double gx = left + group_w * (double)j + (group_w - bar_w) / 2, y = top + plot_h;
		for (size_t s = 0; s < ns; s++) {
			long v = ch->values[s * nl + j];
			if (!v)
				continue;
			double h = (double)plot_h * (double)v / (double)top_value;
			y -= h;
			ct_buf_addf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				    gx, y, bar_w, h, ct_category_colour(ch->series[s]));
			ct_html_escape(&b, ch->labels[j]);
			if (ch->years[j]) {
				ct_buf_addch(&b, ' ');
				ct_html_escape(&b, ch->years[j]);
			}
			ct_buf_addstr(&b, ", ");
			ct_html_escape(&b, ch->series[s]);
			ct_buf_addf(&b, ": %ld</title></rect>", v);
		}
		double cx = left + group_w * (double)j + group_w / 2;
		/* past 12 a step, the labels would all name the same month: the years say it */
		if (j % every == 0 && every < 12) {
			ct_buf_addf(&b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">", cx,
				    top + plot_h + 15);
			ct_html_escape(&b, ch->labels[j]);
			ct_buf_addstr(&b, "</text>");
		}
		if (ch->years[j] && (last_year_x < 0 || left + group_w * (double)j - last_year_x >= 44)) {
			/* the year under the first label and where it changes (when there is room), with a tick */
			last_year_x = left + group_w * (double)j;
			ct_buf_addf(&b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#6b7280\"/>"
				    "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" font-weight=\"600\">",
				    left + group_w * (double)j, top + plot_h, left + group_w * (double)j, top + plot_h + 36,
				    left + group_w * (double)j + 3, top + plot_h + 33);
			ct_html_escape(&b, ch->years[j]);
			ct_buf_addstr(&b, "</text>");
		}
	}
	ct_buf_addf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">", left + plot_w / 2, H - 8);
	ct_html_escape(&b, ch->x_label);
	ct_buf_addstr(&b, "</text>");
	for (size_t s = 0; s < ns; s++) {
		ct_buf_addf(&b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			    "<text x=\"%d\" y=\"%d\" font-size=\"12\">", lx[s], ly[s],
			    ct_category_colour(ch->series[s]), lx[s] + 18, ly[s] + 11);
		ct_html_escape(&b, ch->series[s]);
		ct_buf_addstr(&b, "</text>");
	}
	free(lx);
	free(ly);
	if (!nl || !ns)
		ct_buf_addf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"13\">no tagged cases in the period</text>",
			    left + 12, top + plot_h / 2);
	ct_buf_addstr(&b, "</svg>");
	return ct_buf_detach(&b, NULL);
}

char *ct_svg_heatmap(const char *title, const char *const *names, size_t n, const long *values)
{
	struct ct_buf b = CT_BUF_INIT;
	/* room above the grid for the column names, written at 45 degrees */
	size_t longest = 0;
	for (size_t i = 0; i < n; i++)
		if (ct_utf8_width(names[i], strlen(names[i])) > longest)
			longest = ct_utf8_width(names[i], strlen(names[i]));
	const int cell = 56, left = 170, top = 44 + (int)(longest > 24 ? 24 : longest) * 5;
	int W = left + (int)n * cell + 20, H = top + (int)n * cell + 20;
	long max = 1;
	for (size_t i = 0; i < n * n; i++)
		if (values[i] > max)
			max = values[i];
	ct_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
		    " role=\"img\" class=\"heatmap\" font-family=\"DejaVu Sans, Verdana, sans-serif\""
		    " fill=\"#1d2330\"><title>", W, H, W, H);
	ct_html_escape(&b, title);
	ct_buf_addf(&b, "</title><rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", W, H);
	ct_buf_addstr(&b, "<text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"600\">");
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
			if (!v) /* a light grey, so that the grid shows */
				red = 0xf1, green = 0xf4, blue = 0xf8;
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
