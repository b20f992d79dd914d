#ifndef DISTILLWATCH_CNCURSESW_SHIM_H
#define DISTILLWATCH_CNCURSESW_SHIM_H
// The wide-character API (cchar_t, get_wch) is only declared with this set first.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <string.h>
#include <stdio.h>
#include <curses.h>
#include <term.h>

// Globals and macros Swift 6 cannot use directly (shared mutable state, function-like macros).
static inline WINDOW *dw_stdscr(void) { return stdscr; }
static inline FILE *dw_stdin(void) { return stdin; }
static inline FILE *dw_stdout(void) { return stdout; }
static inline int dw_lines(void) { return LINES; }
static inline int dw_cols(void) { return COLS; }
static inline int dw_colors(void) { return COLORS; }
static inline int dw_color_pairs(void) { return COLOR_PAIRS; }
static inline void dw_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }

static inline attr_t dw_a_normal(void) { return A_NORMAL; }
static inline attr_t dw_a_bold(void) { return A_BOLD; }
static inline attr_t dw_a_dim(void) { return A_DIM; }
static inline attr_t dw_a_reverse(void) { return A_REVERSE; }
static inline attr_t dw_a_underline(void) { return A_UNDERLINE; }
static inline attr_t dw_color_pair(int n) { return COLOR_PAIR(n); }

static inline int dw_key_mouse(void) { return KEY_MOUSE; }
// Clicks, double clicks and the wheel (buttons 4 and 5); a double click within 250 ms.
static inline void dw_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(250);
}
// The pending mouse event: 1 click, 2 double click, 3 wheel up, 4 wheel down, 0 anything else.
static inline int dw_read_mouse(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    *x = e.x; *y = e.y;
    if (e.bstate & BUTTON1_DOUBLE_CLICKED) return 2;
    if (e.bstate & BUTTON1_CLICKED) return 1;
    if (e.bstate & BUTTON4_PRESSED) return 3;
    if (e.bstate & BUTTON5_PRESSED) return 4;
    return 0;
}
static inline int dw_key_up(void) { return KEY_UP; }
static inline int dw_key_down(void) { return KEY_DOWN; }
static inline int dw_key_left(void) { return KEY_LEFT; }
static inline int dw_key_right(void) { return KEY_RIGHT; }
static inline int dw_key_ppage(void) { return KEY_PPAGE; }
static inline int dw_key_npage(void) { return KEY_NPAGE; }
static inline int dw_key_home(void) { return KEY_HOME; }
static inline int dw_key_end(void) { return KEY_END; }
static inline int dw_key_enter(void) { return KEY_ENTER; }
static inline int dw_key_backspace(void) { return KEY_BACKSPACE; }
static inline int dw_key_btab(void) { return KEY_BTAB; }
static inline int dw_key_dc(void) { return KEY_DC; }
static inline int dw_key_resize(void) { return KEY_RESIZE; }
static inline int dw_key_f(int n) { return KEY_F(n); }
static inline int dw_key_code_yes(void) { return KEY_CODE_YES; }

static inline chtype dw_acs_hline(void) { return ACS_HLINE; }
static inline chtype dw_acs_vline(void) { return ACS_VLINE; }

// True when the terminal description can address the cursor ("cup").
static inline int dw_has_cursor_addressing(void) {
    char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1;
}

// Draws one cell: a NUL-terminated wide string (one grapheme), its attributes and colour pair.
// The pair goes through `opts` so pairs above 255 (extended colours) work too.
static inline int dw_put_cell(int y, int x, const wchar_t *text, attr_t attrs, int pair) {
    cchar_t cell;
    int p = pair;
    if (setcchar(&cell, text, attrs, (short)(pair > 32767 ? 0 : pair), &p) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

static inline int dw_init_pair(int pair, int fg, int bg) {
#if NCURSES_EXT_COLORS
    return init_extended_pair(pair, fg, bg);
#else
    return init_pair((short)pair, (short)fg, (short)bg);
#endif
}

static inline int dw_is_utf8_locale(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}
#endif
