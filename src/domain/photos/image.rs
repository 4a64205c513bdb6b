//! Turning uploaded bytes into the images yizhan stores: the format detected from the bytes
//! (never the name or the declared type), decoding bounded against decompression bombs,
//! EXIF orientation applied, then re-encoded from pixels so no metadata (EXIF GPS
//! included) survives, and a thumbnail made at once. CPU-bound: callers run it on a
//! blocking thread.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits,
    codecs::{jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder},
};

use crate::error::{AppError, AppResult};

/// The largest upload accepted, in bytes (8 MiB).
pub const MAX_UPLOAD_BYTES: usize = 8 << 20;
/// The widest and tallest image decoded; larger ones are refused before their pixels are.
pub const MAX_DIMENSION: u32 = 8_000;
/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 400;
/// What the decoder may allocate (an 8000×8000 RGBA image is 256 MB).
const MAX_DECODE_BYTES: u64 = 256 << 20;
/// JPEG quality of re-encoded photos and thumbnails.
const JPEG_QUALITY: u8 = 85;

/// The formats accepted, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `image/webp` (stored lossless).
    WebP,
}

impl Kind {
    /// The media type served with the image.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    /// The file extension of its keys.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    /// The kind a key's extension names.
    pub fn from_extension(extension: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::WebP]
            .into_iter()
            .find(|kind| kind.extension() == extension)
    }
}

/// One encoded image and its size in pixels.
#[derive(Debug)]
pub struct Encoded {
    /// The encoded bytes, free of metadata.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// An upload made fit to store.
#[derive(Debug)]
pub struct Processed {
    /// The format both images are stored in (the upload's own).
    pub kind: Kind,
    /// The photo, re-encoded.
    pub image: Encoded,
    /// The thumbnail, its longest side at most `THUMBNAIL_SIDE`.
    pub thumbnail: Encoded,
}

/// The accepted format the bytes' magic numbers name.
pub fn detect(bytes: &[u8]) -> AppResult<Kind> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Kind::Jpeg),
        Ok(ImageFormat::Png) => Ok(Kind::Png),
        Ok(ImageFormat::WebP) => Ok(Kind::WebP),
        _ => Err(AppError::bad_input(
            "the file is not a JPEG, PNG or WebP image (judged by its content, not its name); upload a photo in one of those formats",
        )),
    }
}

fn unreadable(error: &image::ImageError) -> AppError {
    match error {
        image::ImageError::Limits(_) => AppError::bad_input(format!(
            "the image is too large to process: at most {MAX_DIMENSION}×{MAX_DIMENSION} pixels"
        )),
        other => AppError::bad_input(format!(
            "the image could not be read ({other}); upload an undamaged JPEG, PNG or WebP file"
        )),
    }
}

/// Checks, decodes, re-encodes and thumbnails an upload. Blocking: run it off the runtime.
pub fn process(bytes: &[u8]) -> AppResult<Processed> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::bad_input(format!(
            "the file is {} bytes; photos are at most 8 MiB ({MAX_UPLOAD_BYTES} bytes)",
            bytes.len()
        )));
    }
    let kind = detect(bytes)?;
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::WebP => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|error| unreadable(&error))?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(unreadable(&image::ImageError::Limits(
            image::error::LimitError::from_kind(image::error::LimitErrorKind::InsufficientMemory),
        )));
    }
    // Phones record rotation in EXIF; it is applied to the pixels before EXIF is dropped.
    let orientation = decoder.orientation().map_err(|error| unreadable(&error))?;
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|error| unreadable(&error))?;
    decoded.apply_orientation(orientation);
    let pixels = flatten(decoded, kind);
    let thumbnail = if pixels.width().max(pixels.height()) > THUMBNAIL_SIDE {
        pixels.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        pixels.clone()
    };
    Ok(Processed {
        kind,
        image: encode(&pixels, kind)?,
        thumbnail: encode(&thumbnail, kind)?,
    })
}

/// 8-bit pixels the target encoder takes: RGB for JPEG (no alpha), RGB or RGBA otherwise.
fn flatten(image: DynamicImage, kind: Kind) -> DynamicImage {
    if kind != Kind::Jpeg && image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

fn encode(image: &DynamicImage, kind: Kind) -> AppResult<Encoded> {
    let mut bytes = Vec::new();
    let (width, height) = (image.width(), image.height());
    let written = match kind {
        Kind::Jpeg => image.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)),
        Kind::Png => {
            PngEncoder::new(&mut bytes).write_image(image.as_bytes(), width, height, image.color().into())
        }
        Kind::WebP => image.write_with_encoder(WebPEncoder::new_lossless(&mut bytes)),
    };
    written.map_err(|error| AppError::internal(anyhow::anyhow!("encoding a {kind:?} image: {error}")))?;
    Ok(Encoded { bytes, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            width,
            height,
            image::Rgb([200, 30, 30]),
        ));
        let mut bytes = Vec::new();
        image.write_with_encoder(PngEncoder::new(&mut bytes)).unwrap();
        bytes
    }

    #[test]
    fn text_named_like_a_photo_is_refused_by_its_content() {
        assert!(matches!(
            detect(b"hello, not a jpeg"),
            Err(AppError::BadUserInput(_))
        ));
    }

    #[test]
    fn a_large_image_gets_a_thumbnail_within_400_px_and_keeps_its_size() {
        let processed = process(&png(1200, 600)).unwrap();
        assert_eq!((processed.image.width, processed.image.height), (1200, 600));
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (400, 200)
        );
    }

    #[test]
    fn images_beyond_the_pixel_limit_are_refused_before_decoding() {
        let refused = process(&png(MAX_DIMENSION + 1, 1));
        assert!(matches!(refused, Err(AppError::BadUserInput(message)) if message.contains("8000")));
    }
}
