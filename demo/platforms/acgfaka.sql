-- 异次元发卡 (acg-faka): this project's own DDL of the columns the assistant reads (docs/PLATFORMS.md),
-- for the demo and the tests only. It is not the platform's Install.sql: only the columns that matter, with
-- the names and types a real install has. A real shop already has these tables; never run this against it.
--
-- __PREFIX__ is the table prefix (acg_ by default); ops/platform_demo.py replaces it, drops and recreates
-- these tables, then loads demo/platforms/acgfaka_orders.yml. utf8mb4 with utf8mb4_unicode_ci (case-insensitive
-- comparisons, as on real installs). Times are `datetime` holding the shop's local wall-clock time, as PHP
-- writes them (date('Y-m-d H:i:s')).

CREATE TABLE IF NOT EXISTS `__PREFIX__user` (
  `id` int UNSIGNED NOT NULL AUTO_INCREMENT,
  `username` varchar(32) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`)
) ENGINE=InnoDB AUTO_INCREMENT=1000 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `__PREFIX__commodity` (
  `id` int UNSIGNED NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL COMMENT '商品名称',
  `owner` int UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 主站',
  `status` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 下架 1 上架',
  `delivery_way` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 自动发货 1 手动/插件发货',
  `contact_type` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 任意 1 手机 2 邮箱 3 QQ',
  `password_status` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '1 必须设置查询密码',
  `code` varchar(64) NOT NULL,
  `widget` text NULL COMMENT '自定义表单 (JSON)',
  PRIMARY KEY (`id`),
  UNIQUE KEY `code` (`code`),
  KEY `owner` (`owner`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `__PREFIX__pay` (
  `id` int UNSIGNED NOT NULL AUTO_INCREMENT,
  `name` varchar(16) NOT NULL,
  `code` varchar(32) NOT NULL,
  `handle` varchar(64) NOT NULL COMMENT '支付插件 (#system = 余额)',
  `status` tinyint UNSIGNED NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `__PREFIX__order` (
  `id` int UNSIGNED NOT NULL AUTO_INCREMENT,
  `owner` int UNSIGNED NOT NULL DEFAULT '0' COMMENT '下单会员 id, 0 游客',
  `user_id` int UNSIGNED NOT NULL DEFAULT '0' COMMENT '商户 id, 0 主站',
  `trade_no` char(19) NOT NULL COMMENT '订单号: 3 位随机 + yymmddHHMMSS + 3 位随机',
  `amount` decimal(10,2) UNSIGNED NOT NULL,
  `commodity_id` int UNSIGNED NOT NULL,
  `card_id` int UNSIGNED NULL DEFAULT NULL,
  `card_num` int UNSIGNED NOT NULL DEFAULT '0',
  `pay_id` int UNSIGNED NOT NULL,
  `create_time` datetime NOT NULL,
  `create_ip` varchar(64) NOT NULL,
  `create_device` tinyint UNSIGNED NOT NULL COMMENT '0 电脑 1 安卓 2 iOS 3 iPad',
  `pay_time` datetime NULL DEFAULT NULL,
  `status` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 未支付 1 已支付',
  `secret` longtext NULL COMMENT '发货内容 (卡密)',
  `password` varchar(32) NULL DEFAULT NULL COMMENT '查询密码',
  `contact` varchar(32) NULL DEFAULT NULL COMMENT '联系方式, 会员为 -',
  `delivery_status` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 未发货 1 已发货',
  `pay_url` varchar(1024) NULL DEFAULT NULL,
  `coupon_id` int UNSIGNED NULL DEFAULT NULL,
  `cost` decimal(10,2) UNSIGNED NOT NULL DEFAULT '0.00',
  `widget` text NULL COMMENT '买家填写的表单 (JSON)',
  `race` varchar(32) NULL DEFAULT NULL,
  `request_no` char(19) NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `trade_no` (`trade_no`),
  UNIQUE KEY `request_no` (`request_no`),
  KEY `commodity_id` (`commodity_id`),
  KEY `pay_id` (`pay_id`),
  KEY `contact` (`contact`),
  KEY `create_ip` (`create_ip`),
  KEY `owner` (`owner`),
  KEY `user_id` (`user_id`),
  KEY `card_id` (`card_id`),
  KEY `create_time` (`create_time`),
  KEY `delivery_status` (`delivery_status`),
  KEY `coupon_id` (`coupon_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `__PREFIX__ticket` (
  `id` int UNSIGNED NOT NULL AUTO_INCREMENT,
  `ticket_no` char(22) NOT NULL COMMENT 'TK + ymdHis + 8 位十六进制',
  `user_id` int UNSIGNED NOT NULL,
  `type` tinyint UNSIGNED NOT NULL COMMENT '0 售前 1 售后',
  `priority` tinyint UNSIGNED NOT NULL DEFAULT '1' COMMENT '0 低 1 中 2 高',
  `status` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 待客服 1 待用户 2 已解决 3 已关闭',
  `title` varchar(100) NOT NULL,
  `commodity_id` int UNSIGNED NULL DEFAULT NULL,
  `commodity_name` varchar(255) NULL DEFAULT NULL,
  `order_id` int UNSIGNED NULL DEFAULT NULL,
  `order_trade_no` char(19) NULL DEFAULT NULL,
  `order_source` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 无 1 会员订单 2 游客订单',
  `proof_upload_id` int UNSIGNED NULL DEFAULT NULL,
  `proof_path` varchar(255) NULL DEFAULT NULL,
  `last_message_id` bigint UNSIGNED NULL DEFAULT NULL,
  `last_sender_type` tinyint UNSIGNED NULL DEFAULT NULL COMMENT '0 用户 1 客服 2 系统',
  `last_message_excerpt` varchar(255) NULL DEFAULT NULL,
  `last_message_time` datetime NULL DEFAULT NULL,
  `user_unread` int UNSIGNED NOT NULL DEFAULT '0',
  `manage_unread` int UNSIGNED NOT NULL DEFAULT '0',
  `closed_by` int UNSIGNED NULL DEFAULT NULL,
  `closed_time` datetime NULL DEFAULT NULL,
  `create_time` datetime NOT NULL,
  `update_time` datetime NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ticket_no` (`ticket_no`),
  KEY `user_status_time` (`user_id`, `status`, `last_message_time`),
  KEY `status_priority_time` (`status`, `priority`, `last_message_time`),
  KEY `commodity_id` (`commodity_id`),
  KEY `order_id` (`order_id`),
  KEY `proof_upload_id` (`proof_upload_id`),
  KEY `closed_by` (`closed_by`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `__PREFIX__ticket_message` (
  `id` bigint UNSIGNED NOT NULL AUTO_INCREMENT,
  `ticket_id` int UNSIGNED NOT NULL,
  `sender_type` tinyint UNSIGNED NOT NULL COMMENT '0 用户 1 客服 2 系统',
  `sender_id` int UNSIGNED NULL DEFAULT NULL,
  `sender_name` varchar(32) NOT NULL,
  `kind` tinyint UNSIGNED NOT NULL DEFAULT '0' COMMENT '0 正文 1 解决回复 2 关闭事件',
  `content` longtext NULL,
  `create_ip` varchar(64) NOT NULL,
  `create_time` datetime NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ticket_id_id` (`ticket_id`, `id`),
  KEY `sender` (`sender_type`, `sender_id`),
  KEY `create_time` (`create_time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
