//! LOLWUT's computer art as Redis 7.0 draws it. Without `VERSION` (or with
//! a version other than 5 and 6) a 7.0 server answers only its version
//! line; `VERSION 5` is Georg Nees's "Schotter" drawn with braille
//! characters, `VERSION 6` a skyline in the four grays of a terminal.
//!
//! The geometry follows Redis's canvas step for step — single-precision
//! squares, Bresenham lines, the same rounding — so a drawing without
//! randomness (Schotter's first two rows of squares) is byte for byte the
//! one redis-server replies; the random parts use our own generator.

use super::dict::Rng;

/// A canvas of pixels holding 0..=3, written out of bounds silently.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, color: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![color; (width.max(0) as usize) * (height.max(0) as usize)],
        }
    }

    fn set(&mut self, x: i32, y: i32, color: u8) {
        if x >= 0 && x < self.width && y >= 0 && y < self.height {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if x >= 0 && x < self.width && y >= 0 && y < self.height {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line, both ends included.
    fn line(&mut self, mut x1: i32, mut y1: i32, x2: i32, y2: i32, color: u8) {
        let dx = (x2 - x1).abs();
        let dy = (y2 - y1).abs();
        let sx = if x1 < x2 { 1 } else { -1 };
        let sy = if y1 < y2 { 1 } else { -1 };
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, color);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square centred on (x, y) with side `size`, rotated by `angle`:
    /// the corners are points of the circumscribed circle, a quarter turn
    /// apart, as Redis computes them (in single precision).
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32, color: u8) {
        // Redis divides by this truncated √2, not the exact constant: the
        // drawing must round the same way.
        #[allow(clippy::approx_constant)]
        let size = (f64::from((f64::from(size) / 1.4142135623) as f32).round()) as f32;
        let mut k = (std::f64::consts::FRAC_PI_4 + f64::from(angle)) as f32;
        let mut px = [0i32; 4];
        let mut py = [0i32; 4];
        for j in 0..4 {
            let kd = f64::from(k);
            px[j] = (kd.sin() * f64::from(size) + f64::from(x)).round() as i32;
            py[j] = (kd.cos() * f64::from(size) + f64::from(y)).round() as i32;
            k = (f64::from(k) + std::f64::consts::FRAC_PI_2) as f32;
        }
        for j in 0..4 {
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
        }
    }
}

/// A C-library-like rand(): 0..=RAND_MAX.
const RAND_MAX: u32 = 0x7fff_ffff;

fn rand(rng: &mut Rng) -> i32 {
    (rng.next_u64() >> 33) as i32
}

/// Schotter on a canvas `cols * 2` pixels wide.
fn schotter(rng: &mut Rng, cols: i32, per_row: i32, per_col: i32) -> Canvas {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0f32;
            if y > 1 {
                let mut r = [0f32; 3];
                for v in &mut r {
                    *v = rand(rng) as f32 / RAND_MAX as f32 / per_col as f32 * y as f32;
                }
                for v in &mut r {
                    if rand(rng) % 2 != 0 {
                        *v = -*v;
                    }
                }
                angle = r[0];
                sx = (sx as f32 + r[1] * side / 3.0) as i32;
                sy = (sy as f32 + r[2] * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    canvas
}

/// Braille characters, 2x4 pixels each.
fn render_braille(canvas: &Canvas) -> String {
    let mut text = String::new();
    let mut y = 0;
    while y < canvas.height {
        let mut x = 0;
        while x < canvas.width {
            let dots = [
                (x, y, 0),
                (x, y + 1, 1),
                (x, y + 2, 2),
                (x + 1, y, 3),
                (x + 1, y + 1, 4),
                (x + 1, y + 2, 5),
                (x, y + 3, 6),
                (x + 1, y + 3, 7),
            ];
            let byte = dots
                .iter()
                .filter(|(px, py, _)| canvas.get(*px, *py) != 0)
                .fold(0u32, |b, (_, _, bit)| b | 1 << bit);
            text.push(char::from_u32(0x2800 + byte).unwrap_or(' '));
            x += 2;
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
        y += 4;
    }
    text
}

/// LOLWUT VERSION 5 [cols] [squares per row] [squares per column].
pub fn version5(rng: &mut Rng, cols: i64, per_row: i64, per_col: i64) -> String {
    let cols = cols.clamp(1, 1000) as i32;
    let per_row = per_row.clamp(1, 200) as i32;
    let per_col = per_col.clamp(1, 200) as i32;
    let mut text = render_braille(&schotter(rng, cols, per_row, per_col));
    text.push_str("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ");
    text.push_str(super::REDIS_VERSION);
    text.push('\n');
    text
}

struct Skyscraper {
    xoff: i32,
    width: i32,
    height: i32,
    windows: bool,
    color: u8,
}

fn skyscraper(rng: &mut Rng, canvas: &mut Canvas, s: &Skyscraper) {
    let start = canvas.height - 1;
    let end = start - s.height + 1;
    let mut y = start;
    while y >= end {
        for x in s.xoff..s.xoff + s.width {
            // The roof is four pixels narrower.
            if y == end && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2) {
                continue;
            }
            let mut color = s.color;
            if s.windows
                && x > s.xoff + 1
                && x < s.xoff + s.width - 2
                && y > end + 1
                && y < start - 1
            {
                let relx = x - (s.xoff + 1);
                let rely = y - (end + 1);
                // Windows two pixels wide and one tall (terminal cells are
                // not square), both halves of one window the same gray.
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    loop {
                        color = 1 + (rand(rng) % 2) as u8;
                        if color != s.color {
                            break;
                        }
                    }
                    if relx % 2 != 0 {
                        color = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.set(x, y, color);
        }
        y -= 1;
    }
}

fn skyline(rng: &mut Rng, canvas: &mut Canvas) {
    let h = canvas.height;
    // Background buildings without windows, the lighter gray behind.
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += rand(rng) % 8;
            let width = 10 + rand(rng) % 9;
            let height = if color == 2 {
                h / 2 + (rand(rng) % h) / 2
            } else {
                h / 2 + (rand(rng) % h) / 3
            };
            let s = Skyscraper {
                xoff: offset,
                width,
                height,
                windows: false,
                color,
            };
            skyscraper(rng, canvas, &s);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    // The foreground, black with windows.
    let mut offset = -10;
    while offset < canvas.width {
        offset += rand(rng) % 8;
        let mut width = 5 + rand(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + (rand(rng) % h) / 2;
        let s = Skyscraper {
            xoff: offset,
            width,
            height,
            windows: true,
            color: 0,
        };
        skyscraper(rng, canvas, &s);
        offset += width + 5;
    }
}

/// LOLWUT VERSION 6 [cols] [rows].
pub fn version6(rng: &mut Rng, cols: i64, rows: i64) -> String {
    let cols = cols.clamp(1, 1000) as i32;
    let rows = rows.clamp(1, 1000) as i32;
    let mut canvas = Canvas::new(cols, rows, 3);
    skyline(rng, &mut canvas);
    let mut text = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            // Foreground and background both set, for the same look on
            // every terminal.
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            text.push_str("\x1b[");
            text.push_str(escape);
            text.push_str(" \x1b[0m");
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
    }
    text.push_str(
        "\nDedicated to the 8 bit game developers of past and present.\n\
         Original 8 bit image from Plaguemon by hikikomori. Redis ver. ",
    );
    text.push_str(super::REDIS_VERSION);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schotter_has_the_canvas_of_its_arguments() {
        let mut rng = Rng::new(1);
        let text = version5(&mut rng, 66, 8, 12);
        let lines: Vec<&str> = text.lines().collect();
        // 66 columns of braille; (128/8*12 + 4)/4 rows rounded up.
        assert_eq!(lines[0].chars().count(), 66);
        // Redis leaves an empty line before the caption.
        assert_eq!(lines.len(), 49 + 2);
        assert_eq!(lines[49], "");
        assert!(lines[50].starts_with("Georg Nees"));
    }

    #[test]
    fn skyline_cells_are_the_four_grays() {
        let mut rng = Rng::new(7);
        let text = version6(&mut rng, 10, 3);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        for line in &lines[..3] {
            assert_eq!(line.matches(" \x1b[0m").count(), 10);
        }
    }
}
