import { randomInt } from 'node:crypto';

// Generated container names: adjective_surname, as Docker users are used to.
// Our own word lists (scientists and engineers), not Docker's.
const ADJECTIVES = [
  'agile', 'amused', 'bold', 'brave', 'bright', 'calm', 'careful', 'clever', 'cool', 'crisp',
  'curious', 'daring', 'eager', 'earnest', 'elated', 'epic', 'fervent', 'fond', 'frosty', 'gallant',
  'gentle', 'glad', 'happy', 'hardy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lucid',
  'merry', 'mighty', 'modest', 'nimble', 'noble', 'patient', 'placid', 'plucky', 'proud', 'quick',
  'quiet', 'rapid', 'serene', 'sharp', 'shy', 'silent', 'sleepy', 'smart', 'snappy', 'steady',
  'stoic', 'sunny', 'swift', 'tender', 'tidy', 'upbeat', 'vivid', 'warm', 'witty', 'zealous',
];
const SURNAMES = [
  'agnesi', 'archimedes', 'babbage', 'bardeen', 'bohr', 'boole', 'cannon', 'carson', 'cerf', 'curie',
  'darwin', 'dijkstra', 'einstein', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin',
  'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking', 'hopper', 'hypatia', 'johnson', 'kepler',
  'knuth', 'lamarr', 'lamport', 'leakey', 'liskov', 'lovelace', 'maxwell', 'meitner', 'mendel', 'newton',
  'noether', 'pascal', 'pasteur', 'ritchie', 'sammet', 'shannon', 'tesla', 'thompson', 'torvalds', 'turing',
  'volta', 'wilson', 'wozniak', 'wright', 'yalow', 'yonath',
];

export function generateName(retry = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}
