/**
 * One download per file across processes (two VS Code windows may both start the first-run
 * download). A lock file holds the owner's pid; a lock whose process is gone is taken over.
 */
import * as fs from "node:fs/promises";
import { DownloadError } from "./downloadError";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock or throws "busy"; the returned function releases it. */
export async function acquireLock(lockPath: string, url: string): Promise<() => Promise<void>> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await fs.open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => fs.rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number((await fs.readFile(lockPath, "utf8").catch(() => "")).trim());
      if (owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new DownloadError(
          "busy",
          url,
          `${url} is already being downloaded by process ${owner}; wait for it to finish.`,
        );
      }
      if (owner === process.pid)
        throw new DownloadError("busy", url, `${url} is already being downloaded by this process.`);
      // No pid yet: another process has just created the lock.
      const age =
        Date.now() -
        (await fs.stat(lockPath).then(
          (s) => s.mtimeMs,
          () => 0,
        ));
      if (!(owner > 0) && age < 10_000)
        throw new DownloadError("busy", url, `${url} is already being downloaded by another process.`);
      await fs.rm(lockPath, { force: true });
    }
  }
  throw new DownloadError("busy", url, `Could not lock ${lockPath} for ${url}.`);
}
