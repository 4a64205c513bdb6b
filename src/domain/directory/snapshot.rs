//! A snapshot of the directory in a file, so that a restart is ready in seconds instead of
//! reading every place from the database again.
//!
//! The file holds every published place as the directory last applied it, and the
//! change-log position up to which every change had been applied. An instance that starts
//! from it follows the log from that position, exactly as it follows other instances'
//! writes, so a snapshot never needs to be current, only valid. It is valid when it was
//! written by this build (its format, version and latest migration) of this database (the
//! token drawn when the schema was made), when the log still holds every change after it
//! (its position is at or above the log's horizon), and when the database has not gone back
//! behind it (at or below the head, as after restoring an older backup). A file that is
//! otherwise, or fails its SHA-256, is set aside with a warning and the directory loads
//! from the database.
//!
//! The search index's posting lists are kept as they are packed in memory, and each
//! place's search signature with it: building them is most of the work of a load.
//!
//! Layout: `MAGIC`; the header's length (u32, little-endian) and the header; the places in
//! chunks, each its length (u32) and records one after another, then an empty chunk; the
//! posting lists in chunks the same way; and the SHA-256 of all that came before. Header
//! and place records are postcard; a posting list is its key (u64), count (u32), last
//! value (u64), count in names (u32), length (u32) and packed bytes, all little-endian.
//! Chunks let the loader prepare listings on every core while it reads, and bound what it
//! holds at once.

use std::{
    collections::HashMap,
    io::{self, BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::Ordering,
        mpsc::{Receiver, sync_channel},
    },
};

use anyhow::{Context as _, anyhow, bail, ensure};
use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{self, Amenities, Amenity, PlaceKind, Publication, StatusState, WorkerGroup, WorkerGroups},
    place_photo,
};
use migration::MigratorTrait as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    listing::Listing,
    postings::{PackedList, Postings},
    spatial::Index,
    store::{Directory, Preparer},
    text::{Fast, Signature},
};
use crate::{
    domain::{calendar::WorkCalendar, change_log, voice::Rating},
    error::{AppError, AppResult},
};

const MAGIC: &[u8; 8] = b"YZDIRSNP";
/// Bumped whenever the layout or a record changes; older files are then set aside.
const FORMAT: u32 = 1;
/// A chunk is written once it holds this many records or this many bytes.
const CHUNK_RECORDS: usize = 16_384;
const CHUNK_BYTES: usize = 4 << 20;
/// Larger chunks are refused unread: only corruption makes them.
const MAX_CHUNK_BYTES: u32 = 64 << 20;
const MAX_HEADER_BYTES: u32 = 64 << 10;

/// The directory's snapshot file, shared by the follower that rewrites it and the shutdown
/// that writes it a last time.
#[derive(Clone, Debug)]
pub struct SnapshotFile {
    path: PathBuf,
    /// The position of the snapshot on disk, when this process knows it; held while a
    /// snapshot is written, so two writers never interleave.
    on_disk: Arc<tokio::sync::Mutex<Option<i64>>>,
    /// This database's token, read once: it never changes while the process runs.
    database: Arc<std::sync::OnceLock<String>>,
}

/// What a snapshot must match to be used.
struct Expected {
    build: String,
    database: String,
    horizon: i64,
    head: i64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    build: String,
    database: String,
    applied: i64,
    places: u64,
}

impl SnapshotFile {
    /// The snapshot kept at `path` (written beside it first, as `.<name>.<random>.partial`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            on_disk: Arc::default(),
            database: Arc::default(),
        }
    }

    /// The directory from the snapshot and the log after it, or from the database when the
    /// snapshot is missing or not valid. Either way it is at the log's head when it returns.
    pub async fn load(&self, db: &DatabaseConnection, calendar: WorkCalendar) -> AppResult<Directory> {
        let started = std::time::Instant::now();
        let directory = Directory::new(calendar);
        let restored = match self.expected(db).await {
            Ok(expected) => {
                let (path, preparer) = (self.path.clone(), directory.preparer());
                tokio::task::spawn_blocking(move || read(&path, &expected, &preparer))
                    .await
                    .map_err(|error| anyhow!("the snapshot reader stopped: {error}"))
                    .and_then(|read| read)
            }
            Err(error) => Err(error),
        };
        let refusal = match restored {
            Ok(Some((index, applied))) => {
                let places = index.by_id.len();
                *directory.write() = index;
                directory.applied.store(applied, Ordering::Release);
                directory.restored.store(true, Ordering::Release);
                *self.on_disk.lock().await = Some(applied);
                let caught = directory.catch_up(db).await?;
                tracing::info!(
                    places,
                    snapshot_position = applied,
                    entries_after = caught.entries,
                    millis = started.elapsed().as_millis() as u64,
                    "directory restored from its snapshot"
                );
                return Ok(directory);
            }
            Ok(None) => None,
            Err(error) => Some(error),
        };
        match refusal {
            None => tracing::info!(
                path = %self.path.display(),
                "no directory snapshot yet; loading from the database"
            ),
            Some(error) => tracing::warn!(
                path = %self.path.display(),
                reason = %format!("{error:#}"),
                "not using the directory snapshot; loading from the database"
            ),
        }
        directory.reload(db).await?;
        Ok(directory)
    }

    /// Writes the directory as it stands, unless the file on disk already holds its
    /// position.
    pub async fn save(&self, db: &DatabaseConnection, directory: &Directory) -> AppResult<()> {
        let on_disk = self.on_disk.clone().lock_owned().await;
        // Checked before anything is gathered: most intervals bring no change.
        if *on_disk == Some(directory.applied()) {
            return Ok(());
        }
        let database = self.database(db).await.map_err(AppError::internal)?;
        let build = build().map_err(AppError::internal)?;
        let (applied, listings, mut signatures, lists) = {
            // The follower's turn, so no reload moves the position while the listings are
            // taken; the read lock only for the moment it takes to copy pointers and
            // signatures (the posting lists are shared, not copied).
            let _turn = directory.following.lock().await;
            let index = directory.read();
            let listings: Vec<Arc<Listing>> = index.by_id.values().map(|kept| kept.listing.clone()).collect();
            // Signatures from the grid's entries, in their order: computing them again
            // would cost seconds of a core, finding each entry by id a search of its cell.
            let signatures: Vec<(i32, Signature)> = index
                .entries()
                .map(|entry| (entry.id(), entry.signature))
                .collect();
            (directory.applied(), listings, signatures, index.text.lists())
        };
        let header = Header {
            format: FORMAT,
            build,
            database,
            applied,
            places: listings.len() as u64,
        };
        let path = self.path.clone();
        // The guard goes with the writing thread: were this task aborted, the thread would
        // still finish, and no second writer may start before it has.
        tokio::task::spawn_blocking(move || {
            let mut on_disk = on_disk;
            let started = std::time::Instant::now();
            signatures.sort_unstable_by_key(|(id, _)| *id);
            write(&path, &header, &listings, &signatures, &lists)
                .with_context(|| format!("writing the directory snapshot {}", path.display()))?;
            *on_disk = Some(applied);
            tracing::info!(
                places = listings.len(),
                position = applied,
                millis = started.elapsed().as_millis() as u64,
                "directory snapshot written"
            );
            Ok::<_, anyhow::Error>(())
        })
        .await
        .map_err(|error| anyhow!("the snapshot writer stopped: {error}"))
        .and_then(|written| written)
        .map_err(AppError::internal)
    }

    /// What a snapshot must match, read from the database and this process.
    async fn expected(&self, db: &DatabaseConnection) -> anyhow::Result<Expected> {
        Ok(Expected {
            build: build()?,
            database: self.database(db).await?,
            horizon: change_log::horizon(db).await?,
            head: change_log::head(db).await?,
        })
    }

    /// This database's token, read the first time it is needed.
    async fn database(&self, db: &DatabaseConnection) -> anyhow::Result<String> {
        if let Some(token) = self.database.get() {
            return Ok(token.clone());
        }
        let token = database_identity(db).await?;
        Ok(self.database.get_or_init(|| token).clone())
    }
}

/// The build a snapshot must come from: the SHA-256 of this very executable, with the
/// crate's version and latest migration for people reading logs. Nothing less would do:
/// search keys, enum numbering and pinyin tables can all change without a migration, and
/// a snapshot of them would then be silently wrong. Computed once a process.
fn build() -> anyhow::Result<String> {
    static BUILD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(build) = BUILD.get() {
        return Ok(build.clone());
    }
    // On Linux the running file itself, even after a deploy replaced or removed it.
    let executable = Path::new("/proc/self/exe");
    let executable = if executable.exists() {
        executable.to_path_buf()
    } else {
        std::env::current_exe()?
    };
    let mut file = std::fs::File::open(&executable)
        .with_context(|| format!("cannot read {} to identify the build", executable.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    let latest = migration::Migrator::migrations()
        .last()
        .map(|migration| migration.name().to_owned())
        .unwrap_or_default();
    let build = format!("{} {latest} {:x}", env!("CARGO_PKG_VERSION"), hasher.finalize());
    Ok(BUILD.get_or_init(|| build).clone())
}

/// The token that names this database.
async fn database_identity(db: &DatabaseConnection) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT token FROM database_identity",
        ))
        .await?
        .ok_or_else(|| anyhow!("database_identity holds no token"))?;
    Ok(row.try_get("", "token")?)
}

/// Writes beside the file under a fresh name, then renames it over, so the file is always
/// whole and two processes given one path never write into the same file.
fn write(
    path: &Path,
    header: &Header,
    listings: &[Arc<Listing>],
    signatures: &[(i32, Signature)],
    lists: &[(u64, Arc<Postings>)],
) -> anyhow::Result<()> {
    ensure!(
        listings.len() == signatures.len(),
        "{} places by id but {} in the grid",
        listings.len(),
        signatures.len()
    );
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("the snapshot path names no file"))?
        .to_string_lossy();
    let prefix = format!(".{name}.");
    remove_abandoned(&folder, &prefix);
    // tempfile draws a random name, creates it exclusively and readable by the owner only
    // (the file holds owners' accounts and phone numbers), and removes it if this fails.
    let partial = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(PARTIAL)
        .tempfile_in(&folder)?;
    write_body(partial.as_file(), header, listings, signatures, lists)?;
    partial.as_file().sync_all()?;
    partial.persist(path)?;
    // The rename lasts across a crash only once the folder is synced too.
    std::fs::File::open(&folder)?.sync_all()?;
    Ok(())
}

fn write_body(
    file: &std::fs::File,
    header: &Header,
    listings: &[Arc<Listing>],
    signatures: &[(i32, Signature)],
    lists: &[(u64, Arc<Postings>)],
) -> anyhow::Result<()> {
    let mut out = Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    };
    out.write_all(MAGIC)?;
    let header = postcard::to_allocvec(header)?;
    out.write_all(&(header.len() as u32).to_le_bytes())?;
    out.write_all(&header)?;
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + (64 << 10));
    let mut records = 0;
    for (listing, &(id, signature)) in listings.iter().zip(signatures) {
        ensure!(id == listing.id, "place {id} is in the grid but not by id");
        let place = listing.to_model();
        chunk = postcard::to_extend(&Record::of(&place, listing, signature), chunk)?;
        records += 1;
        if records == CHUNK_RECORDS || chunk.len() >= CHUNK_BYTES {
            write_chunk(&mut out, &chunk)?;
            chunk.clear();
            records = 0;
        }
    }
    if !chunk.is_empty() {
        write_chunk(&mut out, &chunk)?;
        chunk.clear();
    }
    out.write_all(&0u32.to_le_bytes())?;
    for (key, postings) in lists {
        let list = postings.packed_list();
        let length = u32::try_from(list.bytes.len())?;
        chunk.extend_from_slice(&key.to_le_bytes());
        chunk.extend_from_slice(&list.len.to_le_bytes());
        chunk.extend_from_slice(&list.last.to_le_bytes());
        chunk.extend_from_slice(&list.in_names.to_le_bytes());
        chunk.extend_from_slice(&length.to_le_bytes());
        chunk.extend_from_slice(&list.bytes);
        if chunk.len() >= CHUNK_BYTES {
            write_chunk(&mut out, &chunk)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        write_chunk(&mut out, &chunk)?;
    }
    out.write_all(&0u32.to_le_bytes())?;
    let digest = out.hasher.finalize();
    let mut inner = out.inner;
    inner.write_all(&digest)?;
    inner.flush()?;
    Ok(())
}

const PARTIAL: &str = ".partial";

/// Removes partial snapshots over an hour old: a process died while writing them, since a
/// live writer takes seconds.
fn remove_abandoned(folder: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let abandoned = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3_600));
        if name.starts_with(prefix) && name.ends_with(PARTIAL) && abandoned {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

fn write_chunk(out: &mut impl Write, chunk: &[u8]) -> anyhow::Result<()> {
    let length = u32::try_from(chunk.len())
        .ok()
        .filter(|length| *length <= MAX_CHUNK_BYTES)
        .ok_or_else(|| anyhow!("a place too large for a snapshot ({} bytes)", chunk.len()))?;
    out.write_all(&length.to_le_bytes())?;
    out.write_all(chunk)?;
    Ok(())
}

/// Reads a snapshot into an index and its position; `None` when there is no file.
fn read(path: &Path, expected: &Expected, preparer: &Preparer) -> anyhow::Result<Option<(Index, i64)>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let mut input = Hashing {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    };
    let mut magic = [0; MAGIC.len()];
    input.read_exact(&mut magic).context("reading its magic")?;
    ensure!(&magic == MAGIC, "not a directory snapshot");
    let header: Header =
        postcard::from_bytes(&read_block(&mut input, MAX_HEADER_BYTES)?.context("no header")?)
            .context("reading its header")?;
    ensure!(
        header.format == FORMAT,
        "format {} is not {FORMAT}",
        header.format
    );
    ensure!(
        header.build == expected.build,
        "written by {}, not by this build ({})",
        header.build,
        expected.build
    );
    ensure!(header.database == expected.database, "taken of another database");
    ensure!(
        header.applied >= expected.horizon,
        "its position {} is below the change log's horizon {}: changes after it have expired",
        header.applied,
        expected.horizon
    );
    ensure!(
        header.applied <= expected.head,
        "its position {} is past the change log's head {}: the database went back",
        header.applied,
        expected.head
    );

    // Chunks go to a worker on each core as they are read, each into an index of its own;
    // the parts then join in file order, which is id order.
    let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get());
    let (sender, receiver) = sync_channel::<(usize, Vec<u8>)>(workers * 2);
    let receiver = Arc::new(Mutex::new(receiver));
    let (parts, read) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receiver = receiver.clone();
                scope.spawn(move || prepare_chunks(&receiver, preparer))
            })
            .collect();
        // Once every worker is gone, sending fails instead of waiting for ever.
        drop(receiver);
        let read = read_chunks(&mut input, |chunk| sender.send(chunk).is_ok());
        drop(sender);
        // The posting lists are read while the workers finish the places.
        let read = read.and_then(|()| read_lists(&mut input));
        let mut parts = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(prepared) => parts.push(prepared),
                Err(_) => parts.push(Err(anyhow!("preparing listings panicked"))),
            }
        }
        (parts, read)
    });
    let mut chunks: Vec<(usize, Index)> = Vec::new();
    for part in parts {
        chunks.extend(part?);
    }
    let lists = read?;
    let mut digest = [0; 32];
    input
        .inner
        .read_exact(&mut digest)
        .context("reading its checksum")?;
    ensure!(
        digest[..] == input.hasher.finalize()[..],
        "its checksum does not match: the file is damaged"
    );
    ensure!(input.inner.read(&mut [0])? == 0, "bytes follow its checksum");
    chunks.sort_unstable_by_key(|(number, _)| *number);
    let mut index = Index::default();
    for (_, part) in chunks {
        index.append(part);
    }
    ensure!(
        index.by_id.len() as u64 == header.places,
        "it holds {} places, not the {} its header names",
        index.by_id.len(),
        header.places
    );
    index.text.restore_lists(lists);
    drop_expired_offers(&mut index, preparer);
    index.shrink_to_fit();
    Ok(Some((index, header.applied)))
}

/// Lists again, without them, the places whose offers ended since the snapshot, as a load
/// from the database would leave those offers out.
fn drop_expired_offers(index: &mut Index, preparer: &Preparer) {
    let now = Utc::now();
    let stale: Vec<Arc<Listing>> = index
        .by_id
        .values()
        .filter(|kept| kept.listing.offers().iter().any(|offer| offer.valid_until <= now))
        .map(|kept| kept.listing.clone())
        .collect();
    for listing in stale {
        let live = listing
            .offers()
            .iter()
            .filter(|offer| offer.valid_until > now)
            .cloned()
            .collect();
        let fresh = preparer
            .listing(listing.to_model(), live, listing.rating())
            .with_photos(listing.photos().to_vec());
        index.insert(Arc::new(fresh));
    }
}

/// Reads a length and that many bytes; `None` at the empty block that ends the chunks.
fn read_block(input: &mut impl Read, limit: u32) -> anyhow::Result<Option<Vec<u8>>> {
    let mut length = [0; 4];
    input.read_exact(&mut length)?;
    let length = u32::from_le_bytes(length);
    ensure!(
        length <= limit,
        "a block of {length} bytes, over the limit of {limit}"
    );
    if length == 0 {
        return Ok(None);
    }
    let mut block = vec![0; length as usize];
    input.read_exact(&mut block)?;
    Ok(Some(block))
}

/// Hands every chunk to `send`, numbered, until the end or until `send` refuses.
fn read_chunks(input: &mut impl Read, mut send: impl FnMut((usize, Vec<u8>)) -> bool) -> anyhow::Result<()> {
    for number in 0.. {
        let Some(chunk) = read_block(input, MAX_CHUNK_BYTES).context("reading a chunk")? else {
            return Ok(());
        };
        if !send((number, chunk)) {
            bail!("preparing listings failed");
        }
    }
    Ok(())
}

/// Reads the posting lists, each checked as it is decoded.
fn read_lists(input: &mut impl Read) -> anyhow::Result<HashMap<u64, Arc<Postings>, Fast>> {
    let mut lists = HashMap::default();
    while let Some(chunk) = read_block(input, MAX_CHUNK_BYTES).context("reading posting lists")? {
        let mut rest = chunk.as_slice();
        while !rest.is_empty() {
            let key = u64::from_le_bytes(take(&mut rest)?);
            let len = u32::from_le_bytes(take(&mut rest)?);
            let last = u64::from_le_bytes(take(&mut rest)?);
            let in_names = u32::from_le_bytes(take(&mut rest)?);
            let length = u32::from_le_bytes(take(&mut rest)?) as usize;
            ensure!(rest.len() >= length, "a posting list runs past its chunk");
            let (bytes, after) = rest.split_at(length);
            rest = after;
            let list = PackedList {
                bytes: bytes.to_vec(),
                len,
                last,
                in_names,
            };
            let postings = Postings::from_packed_list(list).map_err(|problem| anyhow!("{problem}"))?;
            ensure!(
                lists.insert(key, Arc::new(postings)).is_none(),
                "a posting list appears twice"
            );
        }
    }
    Ok(lists)
}

/// The next `N` bytes of `rest`.
fn take<const N: usize>(rest: &mut &[u8]) -> anyhow::Result<[u8; N]> {
    let (bytes, after) = rest
        .split_first_chunk::<N>()
        .ok_or_else(|| anyhow!("a posting list's header runs past its chunk"))?;
    *rest = after;
    Ok(*bytes)
}

/// Prepares the chunks a worker receives, each into an index; after a failure it keeps
/// taking chunks, so the reader never waits on it, but prepares no more.
fn prepare_chunks(
    receiver: &Mutex<Receiver<(usize, Vec<u8>)>>,
    preparer: &Preparer,
) -> anyhow::Result<Vec<(usize, Index)>> {
    let mut parts = Vec::new();
    let mut failure = None;
    loop {
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok((number, chunk)) = next else { break };
        if failure.is_none() {
            match prepare_chunk(&chunk, preparer) {
                Ok(index) => parts.push((number, index)),
                Err(error) => failure = Some(error.context(format!("in chunk {number}"))),
            }
        }
    }
    failure.map_or(Ok(parts), Err)
}

fn prepare_chunk(mut chunk: &[u8], preparer: &Preparer) -> anyhow::Result<Index> {
    let mut index = Index::default();
    while !chunk.is_empty() {
        let (record, rest) = postcard::take_from_bytes::<Record>(chunk)?;
        chunk = rest;
        let signature = Signature::from_bits(record.signature);
        let (place, offers, rating, photos) = record.into_parts()?;
        ensure!(
            place.publication == Publication::Published,
            "place {} is not published",
            place.id
        );
        let listing = preparer.listing(place, offers, rating).with_photos(photos);
        index.restore(Arc::new(listing), signature);
    }
    Ok(index)
}

/// Hashes what passes through, either way.
struct Hashing<T> {
    inner: T,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}

/// A place as the snapshot holds it: the row, its live offers, its rating and its photos.
/// Rows are taken apart field by field, so a column added to an entity fails to compile
/// here until the snapshot carries it (and `FORMAT` is bumped).
#[derive(Serialize, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    place: PlaceRecord<'a>,
    #[serde(borrow)]
    offers: Vec<OfferRecord<'a>>,
    rating: [u32; 5],
    #[serde(borrow)]
    photos: Vec<PhotoRecord<'a>>,
    /// Its search signature (`Signature::to_bits`).
    signature: [u64; 2],
}

#[derive(Serialize, Deserialize)]
struct PlaceRecord<'a> {
    id: i32,
    kind: PlaceKind,
    name: &'a str,
    address: &'a str,
    #[serde(borrow)]
    description: Option<&'a str>,
    latitude: f64,
    longitude: f64,
    opening_hours: &'a str,
    time_zone: &'a str,
    #[serde(borrow)]
    phone: Option<&'a str>,
    amenities: Vec<Amenity>,
    serves_groups: Vec<WorkerGroup>,
    owner_subject: &'a str,
    owner_role: &'a str,
    publication: Publication,
    #[serde(borrow)]
    review_note: Option<&'a str>,
    submitted_at: Option<Time>,
    follows_work_calendar: bool,
    status_state: Option<StatusState>,
    status_seats_free: Option<i32>,
    #[serde(borrow)]
    status_note: Option<&'a str>,
    status_updated_at: Option<Time>,
    status_expires_at: Option<Time>,
    version: i32,
    created_at: Time,
    updated_at: Time,
    approved_latitude: Option<f64>,
    approved_longitude: Option<f64>,
    deleted_at: Option<Time>,
    log_position: i64,
}

#[derive(Serialize, Deserialize)]
struct OfferRecord<'a> {
    id: i32,
    place_id: i32,
    title: &'a str,
    description: &'a str,
    groups: Vec<WorkerGroup>,
    valid_from: Time,
    valid_until: Time,
    version: i32,
    created_at: Time,
    updated_at: Time,
    deleted_at: Option<Time>,
}

#[derive(Serialize, Deserialize)]
struct PhotoRecord<'a> {
    id: i32,
    place_id: i32,
    position: i32,
    image_key: &'a str,
    thumbnail_key: &'a str,
    media_type: &'a str,
    width: i32,
    height: i32,
    thumbnail_width: i32,
    thumbnail_height: i32,
    byte_size: i64,
    #[serde(borrow)]
    caption: Option<&'a str>,
    created_at: Time,
}

/// A time as seconds since the epoch and nanoseconds: exact, as SQLite keeps nanoseconds.
type Time = (i64, u32);

fn stamp(at: &DateTime<Utc>) -> Time {
    (at.timestamp(), at.timestamp_subsec_nanos())
}

fn time((seconds, nanos): Time) -> anyhow::Result<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, nanos).ok_or_else(|| anyhow!("a time out of range: {seconds} s"))
}

fn optional_time(at: Option<Time>) -> anyhow::Result<Option<DateTime<Utc>>> {
    at.map(time).transpose()
}

impl<'a> Record<'a> {
    fn of(place: &'a place::Model, listing: &'a Listing, signature: Signature) -> Self {
        Self {
            place: PlaceRecord::of(place),
            offers: listing.offers().iter().map(OfferRecord::of).collect(),
            rating: listing.rating().distribution,
            photos: listing.photos().iter().map(PhotoRecord::of).collect(),
            signature: signature.to_bits(),
        }
    }

    fn into_parts(
        self,
    ) -> anyhow::Result<(place::Model, Vec<offer::Model>, Rating, Vec<place_photo::Model>)> {
        Ok((
            self.place.into_model()?,
            self.offers
                .into_iter()
                .map(OfferRecord::into_model)
                .collect::<anyhow::Result<_>>()?,
            Rating {
                distribution: self.rating,
            },
            self.photos
                .into_iter()
                .map(PhotoRecord::into_model)
                .collect::<anyhow::Result<_>>()?,
        ))
    }
}

impl<'a> PlaceRecord<'a> {
    fn of(place: &'a place::Model) -> Self {
        let place::Model {
            id,
            kind,
            name,
            address,
            description,
            latitude,
            longitude,
            opening_hours,
            time_zone,
            phone,
            amenities,
            serves_groups,
            owner_subject,
            owner_role,
            publication,
            review_note,
            submitted_at,
            follows_work_calendar,
            status_state,
            status_seats_free,
            status_note,
            status_updated_at,
            status_expires_at,
            version,
            created_at,
            updated_at,
            approved_latitude,
            approved_longitude,
            deleted_at,
            log_position,
        } = place;
        Self {
            id: *id,
            kind: *kind,
            name,
            address,
            description: description.as_deref(),
            latitude: *latitude,
            longitude: *longitude,
            opening_hours,
            time_zone,
            phone: phone.as_deref(),
            amenities: amenities.0.clone(),
            serves_groups: serves_groups.0.clone(),
            owner_subject,
            owner_role,
            publication: *publication,
            review_note: review_note.as_deref(),
            submitted_at: submitted_at.as_ref().map(stamp),
            follows_work_calendar: *follows_work_calendar,
            status_state: *status_state,
            status_seats_free: *status_seats_free,
            status_note: status_note.as_deref(),
            status_updated_at: status_updated_at.as_ref().map(stamp),
            status_expires_at: status_expires_at.as_ref().map(stamp),
            version: *version,
            created_at: stamp(created_at),
            updated_at: stamp(updated_at),
            approved_latitude: *approved_latitude,
            approved_longitude: *approved_longitude,
            deleted_at: deleted_at.as_ref().map(stamp),
            log_position: *log_position,
        }
    }

    fn into_model(self) -> anyhow::Result<place::Model> {
        ensure!(
            (-90.0..=90.0).contains(&self.latitude) && (-180.0..=180.0).contains(&self.longitude),
            "place {} stands outside the globe",
            self.id
        );
        Ok(place::Model {
            id: self.id,
            kind: self.kind,
            name: self.name.to_owned(),
            address: self.address.to_owned(),
            description: self.description.map(str::to_owned),
            latitude: self.latitude,
            longitude: self.longitude,
            opening_hours: self.opening_hours.to_owned(),
            time_zone: self.time_zone.to_owned(),
            phone: self.phone.map(str::to_owned),
            amenities: Amenities(self.amenities),
            serves_groups: WorkerGroups(self.serves_groups),
            owner_subject: self.owner_subject.to_owned(),
            owner_role: self.owner_role.to_owned(),
            publication: self.publication,
            review_note: self.review_note.map(str::to_owned),
            submitted_at: optional_time(self.submitted_at)?,
            follows_work_calendar: self.follows_work_calendar,
            status_state: self.status_state,
            status_seats_free: self.status_seats_free,
            status_note: self.status_note.map(str::to_owned),
            status_updated_at: optional_time(self.status_updated_at)?,
            status_expires_at: optional_time(self.status_expires_at)?,
            version: self.version,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            approved_latitude: self.approved_latitude,
            approved_longitude: self.approved_longitude,
            deleted_at: optional_time(self.deleted_at)?,
            log_position: self.log_position,
        })
    }
}

impl<'a> OfferRecord<'a> {
    fn of(offer: &'a offer::Model) -> Self {
        let offer::Model {
            id,
            place_id,
            title,
            description,
            groups,
            valid_from,
            valid_until,
            version,
            created_at,
            updated_at,
            deleted_at,
        } = offer;
        Self {
            id: *id,
            place_id: *place_id,
            title,
            description,
            groups: groups.0.clone(),
            valid_from: stamp(valid_from),
            valid_until: stamp(valid_until),
            version: *version,
            created_at: stamp(created_at),
            updated_at: stamp(updated_at),
            deleted_at: deleted_at.as_ref().map(stamp),
        }
    }

    fn into_model(self) -> anyhow::Result<offer::Model> {
        Ok(offer::Model {
            id: self.id,
            place_id: self.place_id,
            title: self.title.to_owned(),
            description: self.description.to_owned(),
            groups: WorkerGroups(self.groups),
            valid_from: time(self.valid_from)?,
            valid_until: time(self.valid_until)?,
            version: self.version,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            deleted_at: optional_time(self.deleted_at)?,
        })
    }
}

impl<'a> PhotoRecord<'a> {
    fn of(photo: &'a place_photo::Model) -> Self {
        let place_photo::Model {
            id,
            place_id,
            position,
            image_key,
            thumbnail_key,
            media_type,
            width,
            height,
            thumbnail_width,
            thumbnail_height,
            byte_size,
            caption,
            created_at,
        } = photo;
        Self {
            id: *id,
            place_id: *place_id,
            position: *position,
            image_key,
            thumbnail_key,
            media_type,
            width: *width,
            height: *height,
            thumbnail_width: *thumbnail_width,
            thumbnail_height: *thumbnail_height,
            byte_size: *byte_size,
            caption: caption.as_deref(),
            created_at: stamp(created_at),
        }
    }

    fn into_model(self) -> anyhow::Result<place_photo::Model> {
        Ok(place_photo::Model {
            id: self.id,
            place_id: self.place_id,
            position: self.position,
            image_key: self.image_key.to_owned(),
            thumbnail_key: self.thumbnail_key.to_owned(),
            media_type: self.media_type.to_owned(),
            width: self.width,
            height: self.height,
            thumbnail_width: self.thumbnail_width,
            thumbnail_height: self.thumbnail_height,
            byte_size: self.byte_size,
            caption: self.caption.map(str::to_owned),
            created_at: time(self.created_at)?,
        })
    }
}
